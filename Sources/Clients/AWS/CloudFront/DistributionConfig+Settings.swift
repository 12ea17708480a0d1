import Foundation

extension DistributionConfig {
    /// `PriceClass_100`, `PriceClass_200` or `PriceClass_All`.
    public var priceClass: String? {
        get { xml.optionalText("PriceClass") }
        set {
            guard let newValue else { return }
            var copy = xml
            copy.setChildText("PriceClass", newValue, insertBefore: ["Enabled", "ViewerCertificate", "Restrictions", "WebACLId", "HttpVersion", "IsIPV6Enabled"])
            replaceDocument(copy)
        }
    }

    /// The object served for `/`; setting nil or "" clears it (CloudFront's way of "none").
    public mutating func setDefaultRootObject(_ value: String?) {
        var copy = xml
        copy.setChildText("DefaultRootObject", value ?? "", insertBefore: ["Origins", "OriginGroups", "DefaultCacheBehavior"])
        replaceDocument(copy)
    }

    /// Swaps in an edited copy of the document (the stored tree is only settable in its own file).
    private mutating func replaceDocument(_ document: XMLTreeNode) {
        if let updated = try? DistributionConfig(xml: document) { self = updated }
    }

    /// Replaces the association for `eventType` on one behavior (nil removes it), keeping every other one.
    public mutating func setLambdaFunctionAssociation(_ arn: String?, eventType: CloudFrontEventType, includeBody: Bool = false, pathPattern: String? = nil) throws {
        var associations = lambdaFunctionAssociations(pathPattern: pathPattern)
        if let index = associations.firstIndex(where: { $0.eventType == eventType }) {
            if let arn {
                associations[index].lambdaFunctionARN = arn
            } else {
                associations.remove(at: index)
            }
        } else if let arn {
            associations.append(LambdaFunctionAssociation(lambdaFunctionARN: arn, eventType: eventType, includeBody: includeBody))
        } else {
            return
        }
        try setLambdaFunctionAssociations(associations, pathPattern: pathPattern)
    }

    /// True when the default behavior (or the one for `pathPattern`) exists.
    public func hasBehavior(pathPattern: String?) -> Bool {
        guard let pathPattern else { return xml.child("DefaultCacheBehavior") != nil }
        return cacheBehaviorPathPatterns.contains(pathPattern)
    }
}
