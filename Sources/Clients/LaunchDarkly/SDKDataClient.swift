import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Reads the flag data an SDK sees: `GET {base}/sdk/latest-all` with the SDK key, the server-side
/// SDKs' polling endpoint (`{"flags": {...}, "segments": {...}}` in the SDK representation, with
/// salts, versions and variation indices exactly as the SDKs evaluate them).
///
/// One attempt, failing at once when nothing listens (a client that does not retry refused
/// connections until the deadline, as the shared pooled one does): a build must not wait on an
/// unreachable LaunchDarkly, it records that there is no snapshot and goes on.
public struct SDKDataClient: Sendable {
    public let baseURI: String
    private let sdkKey: String
    private let timeout: TimeInterval

    /// Shared for the process (it is never shut down): connections are made once, not retried.
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(baseURI: String, sdkKey: String, timeout: TimeInterval = 10) {
        self.baseURI = baseURI.hasSuffix("/") ? String(baseURI.dropLast()) : baseURI
        self.sdkKey = sdkKey
        self.timeout = timeout
    }

    /// The whole data set as raw JSON bytes.
    public func latestAll() async throws -> Data {
        let url = baseURI + "/sdk/latest-all"
        guard URL(string: url) != nil else { throw LaunchDarklyError.invalidBaseURI(baseURI) }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: sdkKey)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "ldedge")
        let status: Int
        let body: ByteBuffer
        do {
            let response = try await Self.client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            status = Int(response.status.code)
            body = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw LaunchDarklyError.transport("\(url): \(error)")
        }
        switch status {
        case 200: return Data(body.readableBytesView)
        case 401, 403: throw LaunchDarklyError.unauthorized(message: "the SDK endpoint \(baseURI) refused the SDK key (HTTP \(status))")
        default: throw LaunchDarklyError.unexpectedStatus(status: status, code: nil, message: "GET \(baseURI)/sdk/latest-all")
        }
    }
}
