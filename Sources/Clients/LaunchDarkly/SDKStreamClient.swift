import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One server-sent event of LaunchDarkly's SDK stream (`put`, `patch`, `delete`).
public struct SDKStreamEvent: Sendable, Equatable {
    public var name: String
    public var data: String

    public init(name: String, data: String) {
        self.name = name
        self.data = data
    }
}

/// LaunchDarkly's SDK streaming endpoint, `GET {stream}/all` (text/event-stream), read with the SDK
/// key, as the server-side SDKs read it.
public struct SDKStreamClient: Sendable {
    public var streamURI: String
    public var sdkKey: String
    /// Each connection ends after this long, which also bounds a half-open connection (LaunchDarkly
    /// sends a heartbeat comment every 3 minutes).
    public var connectionLifetime: TimeInterval

    public init(streamURI: String, sdkKey: String, connectionLifetime: TimeInterval = 300) {
        self.streamURI = streamURI
        self.sdkKey = sdkKey
        self.connectionLifetime = connectionLifetime
    }

    /// Hands over every event of one connection; returns when the connection ends, throws when it
    /// cannot be made or answers anything but 200.
    public func stream(_ handle: (SDKStreamEvent) async throws -> Void) async throws {
        var request = HTTPClientRequest(url: streamURI + "/all")
        request.headers.add(name: "Authorization", value: sdkKey)
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "User-Agent", value: "ldedge-sync")
        let response = try await HTTPClient.shared.execute(request, deadline: .now() + .seconds(Int64(connectionLifetime)))
        guard response.status == .ok else {
            throw LaunchDarklyStreamError(detail: "GET \(streamURI)/all answered HTTP \(response.status.code)")
        }
        var parser = SDKStreamParser()
        for try await chunk in response.body {
            for event in parser.feed(String(buffer: chunk)) { try await handle(event) }
        }
    }
}

/// The stream answered something other than events.
public struct LaunchDarklyStreamError: Error, CustomStringConvertible, Sendable {
    public var detail: String
    public var description: String { detail }
}

/// Splits a text/event-stream into events (blank-line separated; `event:` and `data:` fields; `:` comments).
public struct SDKStreamParser: Sendable {
    private var pending = ""
    private var name = "message"
    private var data: [String] = []

    public init() {}

    public mutating func feed(_ text: String) -> [SDKStreamEvent] {
        pending += text
        var events: [SDKStreamEvent] = []
        while let newline = pending.firstIndex(of: "\n") {
            var line = String(pending[..<newline])
            pending = String(pending[pending.index(after: newline)...])
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if !data.isEmpty { events.append(SDKStreamEvent(name: name, data: data.joined(separator: "\n"))) }
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
