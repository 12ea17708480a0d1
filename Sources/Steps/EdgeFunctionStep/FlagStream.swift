import Foundation
import LDEdgeKit
import LaunchDarkly

/// One server-sent event of LaunchDarkly's SDK stream.
public typealias StreamEvent = SDKStreamEvent

/// The flag's changes as LaunchDarkly streams them to SDKs (`GET {stream}/all`, through the
/// LaunchDarkly client's `SDKStreamClient`); returns when the connection ends after it delivered
/// events (the caller reconnects at once), throws when it failed before any (the caller backs off).
struct FlagStream: Sendable {
    let source: FlagSource
    /// Each connection is renewed after this long, which also bounds a half-open connection
    /// (LaunchDarkly sends a heartbeat comment every 3 minutes); the `put` on reconnect reconciles everything.
    var connectionLifetime: TimeInterval = 300

    func events(_ handle: @Sendable (StreamEvent) async throws -> Void) async throws {
        var delivered = 0
        do {
            try await SDKStreamClient(streamURI: source.streamURI, sdkKey: source.sdkKey, connectionLifetime: connectionLifetime).stream { event in
                try await handle(event)
                delivered += 1
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as LaunchDarklyStreamError {
            if delivered == 0 { throw SyncError.stream(error.detail) }
        } catch {
            if delivered == 0 { throw error }
        }
    }
}

public enum SyncError: Error, CustomStringConvertible {
    case stream(String)
    case nothingToSync(String)

    public var description: String {
        switch self {
        case .stream(let detail): return "the LaunchDarkly stream failed: \(detail)"
        case .nothingToSync(let detail): return detail
        }
    }
}
