import Foundation

/// A place in a workflow file, 1-based like compilers print it.
public struct SourceLocation: Codable, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One finding about a workflow or a plan: an error stops the run before anything changes.
public struct Diagnostic: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Codable, Sendable {
        case error, warning, note
    }

    /// What a finding is about when it is not the workflow file itself.
    public enum Category: String, Codable, Sendable {
        /// The machine's setup (credentials, region, token): exit 78, reported before the plan.
        case configuration
    }

    public var severity: Severity
    public var message: String
    public var location: SourceLocation?
    /// The step the finding belongs to, when there is one.
    public var step: String?
    public var category: Category?
    /// The input the finding is about, as a path into `with:`; the engine locates it in the file.
    public var inputPath: [String]?

    public init(_ severity: Severity, _ message: String, at location: SourceLocation? = nil, step: String? = nil) {
        self.severity = severity
        self.message = message
        self.location = location
        self.step = step
    }

    public static func error(_ message: String, at location: SourceLocation? = nil, step: String? = nil) -> Diagnostic {
        Diagnostic(.error, message, at: location, step: step)
    }

    public static func note(_ message: String, at location: SourceLocation? = nil, step: String? = nil) -> Diagnostic {
        Diagnostic(.note, message, at: location, step: step)
    }

    public static func warning(_ message: String, at location: SourceLocation? = nil, step: String? = nil) -> Diagnostic {
        Diagnostic(.warning, message, at: location, step: step)
    }

    /// `path:line:col: error: message`, or `error: [step] message` without a location.
    public var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        let scope = (location == nil && step != nil) ? "[\(step!)] " : ""
        return "\(prefix)\(severity.rawValue): \(scope)\(message)"
    }
}

/// Thrown when a workflow or a plan has error diagnostics; nothing has been changed.
public struct DiagnosticsError: Error, CustomStringConvertible, Sendable {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }
    /// The findings about the machine's setup rather than the workflow.
    public var configurationProblems: [Diagnostic] { filter { $0.category == .configuration } }
}
