import Foundation
import LDEdgeCore

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
