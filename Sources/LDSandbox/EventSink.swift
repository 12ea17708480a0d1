import Foundation
import LaunchDarkly

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

/// Requests to the SDK endpoints (everything outside `/api/v2` and `/_sandbox`), by path:
/// proof that a handler in daemon mode never contacts LaunchDarkly.
final class SDKRequestCounter: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var byPath: [String: Int] = [:]

    func count(_ path: String) {
        lock.lock()
        byPath[path, default: 0] += 1
        lock.unlock()
    }

    var counts: [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return byPath
    }

    func clear() {
        lock.lock()
        byPath = [:]
        lock.unlock()
    }
}
