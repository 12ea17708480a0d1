import Foundation

extension LambdaClient {
    /// Polls until the function's `State` is `Active`; throws if it becomes `Failed` or time runs out.
    @discardableResult
    public func waitUntilActive(name: String, qualifier: String? = nil, timeout: TimeInterval = 300, pollInterval: TimeInterval = 1) async throws -> LambdaFunctionConfiguration {
        try await poll(name: name, qualifier: qualifier, what: "Active", timeout: timeout, pollInterval: pollInterval) { configuration in
            switch configuration.state {
            case "Active", nil: return .done
            case "Failed": return .failed(configuration.stateReason ?? configuration.stateReasonCode ?? "State Failed")
            default: return .wait(configuration.state ?? "unknown")
            }
        }
    }

    /// Polls until `LastUpdateStatus` is `Successful` (after UpdateFunctionCode/Configuration).
    @discardableResult
    public func waitUntilUpdated(name: String, timeout: TimeInterval = 300, pollInterval: TimeInterval = 1) async throws -> LambdaFunctionConfiguration {
        try await poll(name: name, qualifier: nil, what: "updated (LastUpdateStatus Successful)", timeout: timeout, pollInterval: pollInterval) { configuration in
            switch configuration.lastUpdateStatus {
            case "Successful", nil: return .done
            case "Failed": return .failed(configuration.lastUpdateStatusReason ?? "LastUpdateStatus Failed")
            default: return .wait(configuration.lastUpdateStatus ?? "unknown")
            }
        }
    }

    enum PollOutcome { case done, wait(String), failed(String) }

    private func poll(name: String, qualifier: String?, what: String, timeout: TimeInterval, pollInterval: TimeInterval,
                      check: (LambdaFunctionConfiguration) -> PollOutcome) async throws -> LambdaFunctionConfiguration {
        let start = Date()
        while true {
            let configuration = try await getFunctionConfiguration(name: name, qualifier: qualifier)
            switch check(configuration) {
            case .done:
                return configuration
            case let .failed(reason):
                throw AWSError.invalidRequest(service: .lambda, operation: "GetFunctionConfiguration", reason: "function \(name) did not become \(what): \(reason)")
            case let .wait(state):
                let waited = Date().timeIntervalSince(start)
                if waited + pollInterval > timeout {
                    throw AWSError.waiterTimeout(service: .lambda, what: what, resource: "function \(name)", waited: waited, lastState: state)
                }
                try await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
            }
        }
    }
}
