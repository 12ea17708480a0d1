import Foundation

/// Progress for a wait: nothing for the first `quietFor` (most waits end sooner), then
/// `report("<what>: <elapsed>")` every `interval` until `body` returns.
public enum WaitProgress {
    public static func run<T: Sendable>(
        _ what: String, quietFor: Duration = .seconds(2), interval: Duration = .seconds(1),
        report: @escaping @Sendable (String) -> Void, _ body: () async throws -> T
    ) async throws -> T {
        let started = ContinuousClock.now
        let ticker = Task {
            try await Task.sleep(for: quietFor)
            while !Task.isCancelled {
                report("\(what): \(Elapsed.format(ContinuousClock.now - started))")
                try await Task.sleep(for: interval)
            }
        }
        defer { ticker.cancel() }
        return try await body()
    }
}
