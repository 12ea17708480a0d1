import Crypto
import Foundation

/// One deployment of a workflow: the workflow alone (no `--env`, what ldedge always did), or the
/// workflow in a named environment (`--env staging`, `--env pr-42`). Each deployment has its own
/// state and lock, and every AWS name ldedge makes for it carries the environment.
public struct Deployment: Hashable, Sendable, CustomStringConvertible {
    public var workflow: String
    /// The environment name (`staging`, `pr-42`); nil without `--env`.
    public var environment: String?

    public init(workflow: String, environment: String? = nil) {
        self.workflow = workflow
        self.environment = environment
    }

    /// Lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63
    /// characters: it goes into AWS names, S3 keys and folder names.
    public static let environmentPattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"

    /// Why `name` is not a valid environment name (nil when it is).
    public static func problem(environment name: String) -> String? {
        if name.range(of: environmentPattern, options: .regularExpression) != nil { return nil }
        return "'\(name)' is not a valid environment name: use 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit (for example staging or pr-42)"
    }

    /// Where the deployment's state lives under a state location: `rebrand`, or `rebrand/env/pr-42`
    /// (`.ldedge/rebrand/env/pr-42/`, `s3://BUCKET/PREFIX/rebrand/env/pr-42/`).
    public var stateKey: String {
        environment.map { "\(workflow)/env/\($0)" } ?? workflow
    }

    /// The deployment a state key names (the inverse of `stateKey`).
    public init(stateKey: String) {
        if let range = stateKey.range(of: "/env/") {
            workflow = String(stateKey[..<range.lowerBound])
            environment = String(stateKey[range.upperBound...])
        } else {
            workflow = stateKey
            environment = nil
        }
    }

    /// `rebrand`, or `rebrand-pr-42`: the workflow name with the environment, for derived names.
    public var qualifiedName: String { environment.map { "\(workflow)-\($0)" } ?? workflow }

    /// "'rebrand'" or "'rebrand' (environment pr-42)", for messages.
    public var description: String { "'\(workflow)'" + (environment.map { " (environment \($0))" } ?? "") }

    /// The `--env NAME` to repeat in a suggested command ("" without an environment).
    public var envFlag: String { environment.map { " --env \($0)" } ?? "" }

    /// The name of a resource ldedge creates for this deployment: `name` unchanged without an
    /// environment (what ldedge always did); with one, `name-ENV`, shortened to `limit` characters
    /// with a stable hash of the whole name when it is longer.
    public func scoped(_ name: String, limit: Int) -> ScopedName {
        guard let environment else { return ScopedName(value: name, full: name) }
        let full = "\(name)-\(environment)"
        return ScopedName(value: Self.fit(full, limit: limit), full: full)
    }

    /// `name` when it fits in `limit` characters; else its start and the first 8 hex digits of its
    /// SHA-256 (`…-1a2b3c4d`): stable across runs and machines, unique per full name.
    public static func fit(_ name: String, limit: Int) -> String {
        guard name.count > limit else { return name }
        let digest = SHA256.hash(data: Data(name.utf8)).map { String(format: "%02x", $0) }.joined()
        var head = String(name.prefix(max(0, limit - 9)))
        while let last = head.last, !(last.isLetter || last.isNumber) { head.removeLast() }
        return head + "-" + digest.prefix(8)
    }
}

/// A name made by `Deployment.scoped`: what is used, and the full name it was shortened from.
public struct ScopedName: Hashable, Sendable {
    public var value: String
    /// The name before shortening (equal to `value` when it fit).
    public var full: String
    public var wasShortened: Bool { value != full }
}
