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

/// What the handler returned: the request to forward, or a response generated at the edge.
public enum HandlerResponse: Sendable, Equatable {
    case forward(uri: String, querystring: String)
    case respond(status: String, location: String?)

    public init(_ value: JSONValue) {
        if let status = value["status"] {
            let location = value["headers"]?["location"].flatMap { header -> String? in
                guard case .array(let values) = header, let first = values.first else { return nil }
                return first["value"]?.stringValue
            }
            let code: String
            switch status {
            case .string(let text): code = text
            case .number(let number): code = String(Int(number))
            default: code = "\(status)"
            }
            self = .respond(status: code, location: location)
        } else {
            self = .forward(uri: value["uri"]?.stringValue ?? "", querystring: value["querystring"]?.stringValue ?? "")
        }
    }

    /// True when the visitor ends up on the new site (`newPrefix`).
    public func servesNewSite(newPrefix: String) -> Bool {
        switch self {
        case .forward(let uri, _): return uri.hasPrefix(newPrefix)
        case .respond(_, let location): return location.map { $0.hasPrefix(newPrefix) || $0.contains("://") && $0.contains(newPrefix) } ?? false
        }
    }

    /// One line for people: `302 Found -> /site/beta/index.html?a=1` or `forward GET /site/index.html`.
    public var summary: String {
        switch self {
        case .forward(let uri, let query): return "forward to origin: \(uri)\(query.isEmpty ? "" : "?" + query)"
        case .respond(let status, let location): return "\(status) response\(location.map { " -> Location: \($0)" } ?? "")"
        }
    }
}
