import Foundation
import LDEdgeCore

/// A CloudFront viewer-request event, as Lambda@Edge hands it to the function.
public struct ViewerRequest: Sendable, Equatable {
    public var clientIp: String
    public var method: String
    /// The path only, starting with `/`.
    public var uri: String
    /// Without the leading `?`; empty when there is none.
    public var querystring: String
    /// Headers as sent, in order; CloudFront keys them by lower-cased name.
    public var headers: [(name: String, value: String)]
    public var distributionDomainName: String
    public var distributionId: String

    public init(
        clientIp: String = "203.0.113.178", method: String = "GET", uri: String = "/site/index.html", querystring: String = "",
        headers: [(name: String, value: String)] = [], distributionDomainName: String = "d111111abcdef8.cloudfront.net",
        distributionId: String = "EDFDVBD6EXAMPLE"
    ) {
        self.clientIp = clientIp
        self.method = method
        self.uri = uri
        self.querystring = querystring
        self.headers = headers
        self.distributionDomainName = distributionDomainName
        self.distributionId = distributionId
    }

    public static func == (lhs: ViewerRequest, rhs: ViewerRequest) -> Bool {
        lhs.event == rhs.event
    }

    /// Parses `Name: value` (as given to `--header`); nil when there is no colon or no name.
    public static func header(_ text: String) -> (name: String, value: String)? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        return name.isEmpty ? nil : (name, value)
    }

    /// The request part: `clientIp`, `method`, `uri`, `querystring`, `headers`.
    public var request: JSONValue {
        var headerMap: [String: [JSONValue]] = [
            "host": [.object(["key": .string("Host"), "value": .string(distributionDomainName)])],
            "user-agent": [.object(["key": .string("User-Agent"), "value": .string("ldedge-invoke")])],
        ]
        var replaced: Set<String> = []
        for (name, value) in headers {
            let key = name.lowercased()
            if !replaced.contains(key) {
                headerMap[key] = []
                replaced.insert(key)
            }
            headerMap[key, default: []].append(.object(["key": .string(name), "value": .string(value)]))
        }
        return .object([
            "clientIp": .string(clientIp),
            "method": .string(method),
            "uri": .string(uri),
            "querystring": .string(querystring),
            "headers": .object(headerMap.mapValues { .array($0) }),
        ])
    }

    /// The whole event: `{"Records": [{"cf": {"config": {...}, "request": {...}}}]}`.
    public var event: JSONValue {
        .object([
            "Records": .array([
                .object([
                    "cf": .object([
                        "config": .object([
                            "distributionDomainName": .string(distributionDomainName),
                            "distributionId": .string(distributionId),
                            "eventType": .string("viewer-request"),
                            "requestId": .string("4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="),
                        ]),
                        "request": request,
                    ])
                ])
            ])
        ])
    }
}
