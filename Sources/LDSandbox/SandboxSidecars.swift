import Foundation
import LaunchDarkly

/// Injected failures (`POST /_sandbox/faults`). A lock rather than an actor: every request checks it.
final class FaultInjector: @unchecked Sendable {
    private let lock = NSLock()
    private var faults: [SandboxFault] = []

    func add(_ new: [SandboxFault]) {
        lock.lock()
        faults.append(contentsOf: new)
        lock.unlock()
    }

    func clear() {
        lock.lock()
        faults = []
        lock.unlock()
    }

    var all: [SandboxFault] {
        lock.lock()
        defer { lock.unlock() }
        return faults
    }

    /// The first fault matching the request, consuming one of its uses.
    func take(method: String, path: String) -> SandboxFault? {
        lock.lock()
        defer { lock.unlock() }
        guard !faults.isEmpty, let index = faults.firstIndex(where: { $0.matches(method: method, path: path) }) else { return nil }
        let fault = faults[index]
        let remaining = (fault.count ?? 1) - 1
        if remaining <= 0 { faults.remove(at: index) } else { faults[index].count = remaining }
        return fault
    }
}

/// What SDKs posted to `/bulk` and `/diagnostic`, kept for `GET /_sandbox/events`.
final class EventSink: @unchecked Sendable {
    static let maxRetained = 10_000
    private let lock = NSLock()
    private var events: [JSONValue] = []
    private var diagnostics: [JSONValue] = []
    private var bulkRequests = 0
    private var diagnosticRequests = 0

    func record(diagnostic: Bool, body: JSONValue) {
        lock.lock()
        defer { lock.unlock() }
        if diagnostic {
            diagnosticRequests += 1
            diagnostics.append(body)
            if diagnostics.count > Self.maxRetained { diagnostics.removeFirst(diagnostics.count - Self.maxRetained) }
        } else {
            bulkRequests += 1
            events.append(contentsOf: body.arrayValue ?? [body])
            if events.count > Self.maxRetained { events.removeFirst(events.count - Self.maxRetained) }
        }
    }

    var summary: JSONValue {
        lock.lock()
        defer { lock.unlock() }
        return .object([
            "bulkRequests": .number(Double(bulkRequests)),
            "diagnosticRequests": .number(Double(diagnosticRequests)),
            "eventCount": .number(Double(events.count)),
            "events": .array(events),
            "diagnostics": .array(diagnostics),
        ])
    }

    func clear() {
        lock.lock()
        events = []
        diagnostics = []
        bulkRequests = 0
        diagnosticRequests = 0
        lock.unlock()
    }
}

/// Values for the `X-Ratelimit-*` headers: a 10 s window, reported but not enforced
/// (inject a 429 fault to exercise a caller's retry path).
final class RateLimitWindow: @unchecked Sendable {
    static let limit = 10_000
    private let lock = NSLock()
    private var start = Date()
    private var count = 0

    func next(now: Date = Date()) -> (remaining: Int, reset: Int64) {
        lock.lock()
        defer { lock.unlock() }
        if now.timeIntervalSince(start) >= 10 {
            start = now
            count = 0
        }
        count += 1
        return (max(0, Self.limit - count), Int64((start.timeIntervalSince1970 + 10) * 1000))
    }
}
