import AsyncHTTPClient
import Foundation
import LDEdgeCore
import NIOCore
import NIOHTTP1

/// One server-sent event of LaunchDarkly's SDK stream (`put`, `patch`, `delete`).
public struct StreamEvent: Sendable, Equatable {
    public var name: String
    public var data: String
}

/// Reads `GET {stream}/all` (text/event-stream) with the SDK key and hands over its events; returns
/// when the connection ends after it delivered events (the caller reconnects at once), throws when it
/// failed before any (the caller backs off).
struct FlagStream: Sendable {
    let source: FlagSource
    /// Each connection is renewed after this long, which also bounds a half-open connection
    /// (LaunchDarkly sends a heartbeat comment every 3 minutes); the `put` on reconnect reconciles everything.
    var connectionLifetime: TimeInterval = 300

    func events(_ handle: @Sendable (StreamEvent) async throws -> Void) async throws {
        var delivered = 0
        do {
            try await stream { event in
                try await handle(event)
                delivered += 1
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if delivered == 0 { throw error }
        }
    }

    private func stream(_ handle: (StreamEvent) async throws -> Void) async throws {
        var request = HTTPClientRequest(url: source.streamURI + "/all")
        request.headers.add(name: "Authorization", value: source.sdkKey)
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "User-Agent", value: "ldedge-sync")
        let response = try await HTTPClient.shared.execute(request, deadline: .now() + .seconds(Int64(connectionLifetime)))
        guard response.status == .ok else {
            throw SyncError.stream("GET \(source.streamURI)/all answered HTTP \(response.status.code)")
        }
        var parser = EventParser()
        for try await chunk in response.body {
            for event in parser.feed(String(buffer: chunk)) { try await handle(event) }
        }
    }
}

/// Splits a text/event-stream into events (blank-line separated; `event:` and `data:` fields; `:` comments).
struct EventParser {
    private var pending = ""
    private var name = "message"
    private var data: [String] = []

    mutating func feed(_ text: String) -> [StreamEvent] {
        pending += text
        var events: [StreamEvent] = []
        while let newline = pending.firstIndex(of: "\n") {
            var line = String(pending[..<newline])
            pending = String(pending[pending.index(after: newline)...])
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if !data.isEmpty { events.append(StreamEvent(name: name, data: data.joined(separator: "\n"))) }
                name = "message"
                data = []
            } else if line.hasPrefix(":") {
                continue
            } else if line.hasPrefix("event:") {
                name = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("data:") {
                var value = String(line.dropFirst(5))
                if value.hasPrefix(" ") { value.removeFirst() }
                data.append(value)
            }
        }
        return events
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
