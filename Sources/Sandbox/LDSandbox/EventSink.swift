import Foundation
import LaunchDarkly
import Synchronization

/// What SDKs posted to `/bulk` and `/diagnostic`, kept for `GET /_sandbox/events`.
final class EventSink: Sendable {
    static let maxRetained = 10_000
    private struct Contents {
        var events: [JSONValue] = []
        var diagnostics: [JSONValue] = []
        var bulkRequests = 0
        var diagnosticRequests = 0
    }
    private let contents = Mutex(Contents())

    func record(diagnostic: Bool, body: JSONValue) {
        contents.withLock { contents in
            if diagnostic {
                contents.diagnosticRequests += 1
                contents.diagnostics.append(body)
                let excess = contents.diagnostics.count - Self.maxRetained
                if excess > 0 { contents.diagnostics.removeFirst(excess) }
            } else {
                contents.bulkRequests += 1
                contents.events.append(contentsOf: body.arrayValue ?? [body])
                let excess = contents.events.count - Self.maxRetained
                if excess > 0 { contents.events.removeFirst(excess) }
            }
        }
    }

    var summary: JSONValue {
        contents.withLock { contents in
            .object([
                "bulkRequests": .number(Double(contents.bulkRequests)),
                "diagnosticRequests": .number(Double(contents.diagnosticRequests)),
                "eventCount": .number(Double(contents.events.count)),
                "events": .array(contents.events),
                "diagnostics": .array(contents.diagnostics),
            ])
        }
    }

    func clear() {
        contents.withLock { $0 = Contents() }
    }
}

/// Requests to the SDK endpoints (everything outside `/api/v2` and `/_sandbox`), by path:
/// proof that a handler in daemon mode never contacts LaunchDarkly.
final class SDKRequestCounter: Sendable {
    private let byPath = Mutex<[String: Int]>([:])

    func count(_ path: String) {
        byPath.withLock { $0[path, default: 0] += 1 }
    }

    var counts: [String: Int] {
        byPath.withLock { $0 }
    }

    func clear() {
        byPath.withLock { $0 = [:] }
    }
}
