import Foundation
import Synchronization

/// One HTTP attempt the client is about to make.
public struct AWSRequestEvent: Sendable, Equatable {
    public var service: AWSService
    public var operation: String
    public var method: String
    public var path: String
    /// True for calls that change something (the ones dry-run refuses).
    public var isMutating: Bool
    /// The resource named in errors ("bucket my-site"), when known.
    public var resource: String?
    /// 1 for the first try, 2+ for retries.
    public var attempt: Int
}

/// Observes every attempt (counting calls, asserting a no-change run sends no mutating call).
public protocol AWSRequestObserver: Sendable {
    func requestWillBeSent(_ event: AWSRequestEvent)
    /// The attempt finished with an HTTP status, or with `nil` when it never got one.
    func requestDidFinish(_ event: AWSRequestEvent, status: Int?)
}

extension AWSRequestObserver {
    public func requestDidFinish(_ event: AWSRequestEvent, status: Int?) {}
}

/// Records every attempt; thread-safe.
public final class AWSRequestRecorder: AWSRequestObserver, Sendable {
    private let recorded = Mutex<[AWSRequestEvent]>([])

    public init() {}

    public func requestWillBeSent(_ event: AWSRequestEvent) {
        recorded.withLock { $0.append(event) }
    }

    /// Every attempt so far, in order.
    public var events: [AWSRequestEvent] {
        recorded.withLock { $0 }
    }

    /// First attempts of mutating calls (retries are not counted twice).
    public var mutatingCalls: [AWSRequestEvent] { events.filter { $0.isMutating && $0.attempt == 1 } }

    public var mutatingCount: Int { mutatingCalls.count }

    /// Number of attempts of `operation`.
    public func count(of operation: String) -> Int { events.filter { $0.operation == operation }.count }

    public func reset() {
        recorded.withLock { $0.removeAll() }
    }
}
