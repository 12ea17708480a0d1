import Foundation

/// How a run behaves, from command-line flags.
public struct EngineOptions: Sendable {
    /// `.ldedge` in the directory ldedge runs from.
    public var stateRoot: URL
    public var environment: [String: String]
    public var rollbackOnFailure = true
    public var allowDirty = false
    /// Flags steps read through `StepContext.options` (`delete-flag`, `retain-function`, `no-wait`).
    public var stepOptions: [String: String] = [:]
    /// Where state lives; nil means the local folder `stateRoot`.
    public var state: (any StateLocation)?
    /// `deploy PLANFILE`: the state serial the saved plan was made against; another one is refused.
    public var expectedSerial: Int?
    /// `deploy --env NAME --ttl`: seconds until the environment expires; nil keeps the recorded one.
    public var ttl: Double?

    public init(stateRoot: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.stateRoot = stateRoot
        self.environment = environment
    }
}
