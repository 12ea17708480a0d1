import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Reads the flag data an SDK sees: `GET {base}/sdk/latest-all` with the SDK key, the server-side
/// SDKs' polling endpoint (`{"flags": {...}, "segments": {...}}` in the SDK representation, with
/// salts, versions and variation indices exactly as the SDKs evaluate them).
public struct SDKDataClient: Sendable {
    public let baseURI: String
    private let sdkKey: String
    private let timeout: TimeInterval
    private let httpClient: HTTPClient

    public init(baseURI: String, sdkKey: String, timeout: TimeInterval = 10, httpClient: HTTPClient = .shared) {
        self.baseURI = baseURI.hasSuffix("/") ? String(baseURI.dropLast()) : baseURI
        self.sdkKey = sdkKey
        self.timeout = timeout
        self.httpClient = httpClient
    }

    /// The whole data set as raw JSON bytes.
    public func latestAll() async throws -> Data {
        var request = HTTPClientRequest(url: baseURI + "/sdk/latest-all")
        request.headers.add(name: "Authorization", value: sdkKey)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "ldedge")
        let status: Int
        let data: Data
        do {
            let response = try await httpClient.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            status = Int(response.status.code)
            data = Data(try await response.body.collect(upTo: 64 << 20).readableBytesView)
        } catch {
            throw LaunchDarklyError.transport("\(baseURI)/sdk/latest-all: \(error)")
        }
        switch status {
        case 200: return data
        case 401, 403: throw LaunchDarklyError.unauthorized(message: "the SDK endpoint \(baseURI) refused the SDK key (HTTP \(status))")
        default:
            throw LaunchDarklyError.unexpectedStatus(status: status, code: nil, message: "GET \(baseURI)/sdk/latest-all")
        }
    }
}
