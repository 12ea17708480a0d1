import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The plain HTTP checks steps make (a rollout guard's URL probe, whether a package registry
/// answers): a client module, so the steps themselves never touch the network.
public enum HTTPProbe {
    /// The status code of `GET url`, or nil when nothing answered within `timeout` seconds.
    public static func status(get url: String, timeout: Double = 5) async -> Int? {
        await status(HTTPClientRequest(url: url), timeout: timeout)
    }

    /// True when `HEAD url` gets any answer within `timeout` seconds.
    public static func answers(_ url: String, timeout: Double = 3) async -> Bool {
        var request = HTTPClientRequest(url: url)
        request.method = .HEAD
        return await status(request, timeout: timeout) != nil
    }

    static func status(_ request: HTTPClientRequest, timeout: Double) async -> Int? {
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            _ = try? await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        } catch {
            return nil
        }
    }
}
