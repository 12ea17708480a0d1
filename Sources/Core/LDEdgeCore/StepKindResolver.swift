import Foundation

/// Where a `uses:` value is resolved: the workflow file's folder and the environment (`PATH`).
public struct StepResolutionContext: Sendable {
    public var directory: URL
    public var environment: [String: String]

    public init(directory: URL, environment: [String: String]) {
        self.directory = directory
        self.environment = environment
    }
}

/// Turns a `uses:` value that names no registered kind into a step kind (an external plugin, say).
/// The core knows no resolver; the command line installs them.
public protocol StepKindResolver: Sendable {
    /// Nil when `uses` is not this resolver's syntax; throws `StepResolutionError` when it is but
    /// the kind cannot be used (a missing or non-executable plugin).
    func resolve(_ uses: String, in context: StepResolutionContext) throws -> StepKind?

    /// Does the slow part of resolving `uses` (starting a plugin to ask it) asynchronously, so the
    /// synchronous `resolve` during loading finds the answer ready and never waits on a thread.
    func prepare(_ uses: String, in context: StepResolutionContext) async
}

extension StepKindResolver {
    public func prepare(_ uses: String, in context: StepResolutionContext) async {}
}

/// Why a `uses:` value names no usable step kind; the message says what to do.
public struct StepResolutionError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
