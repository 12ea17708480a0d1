import Foundation

/// What kind of change a plan line is.
public enum ChangeAction: String, Codable, Sendable {
    case create, update, replace, delete, run, restore, none

    public var symbol: String {
        switch self {
        case .create: return "+"
        case .update: return "~"
        case .replace: return "-/+"
        case .delete: return "-"
        case .run: return ">"
        case .restore: return "<"
        case .none: return "="
        }
    }
}

/// One concrete change a step would make: "create bucket ldedge-rebrand-site".
public struct PlannedChange: Codable, Hashable, Sendable {
    public var action: ChangeAction
    public var resource: String
    public var detail: String?
    public var before: String?
    public var after: String?

    public init(_ action: ChangeAction, _ resource: String, detail: String? = nil, before: String? = nil, after: String? = nil) {
        self.action = action
        self.resource = resource
        self.detail = detail
        self.before = before
        self.after = after
    }
}
