import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reads the flag data an SDK sees: `GET {base}/sdk/latest-all` with the SDK key, the server-side
/// SDKs' polling endpoint (`{"flags": {...}, "segments": {...}}` in the SDK representation, with
/// salts, versions and variation indices exactly as the SDKs evaluate them).
///
/// One attempt, failing at once when nothing listens (URLSession, not the pooled HTTP client that
/// retries refused connections until the deadline): a build must not wait on an unreachable
/// LaunchDarkly, it records that there is no snapshot and goes on.
public struct SDKDataClient: Sendable {
    public let baseURI: String
    private let sdkKey: String
    private let timeout: TimeInterval

    public init(baseURI: String, sdkKey: String, timeout: TimeInterval = 10) {
        self.baseURI = baseURI.hasSuffix("/") ? String(baseURI.dropLast()) : baseURI
        self.sdkKey = sdkKey
        self.timeout = timeout
    }

    /// The whole data set as raw JSON bytes.
    public func latestAll() async throws -> Data {
        guard let url = URL(string: baseURI + "/sdk/latest-all") else { throw LaunchDarklyError.invalidBaseURI(baseURI) }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.setValue(sdkKey, forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue("ldedge", forHTTPHeaderField: "User-Agent")
        let (data, status) = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, Int), Error>) in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: LaunchDarklyError.transport("\(url.absoluteString): \(error.localizedDescription)"))
                } else {
                    continuation.resume(returning: (data ?? Data(), (response as? HTTPURLResponse)?.statusCode ?? 0))
                }
            }.resume()
        }
        switch status {
        case 200: return data
        case 401, 403: throw LaunchDarklyError.unauthorized(message: "the SDK endpoint \(baseURI) refused the SDK key (HTTP \(status))")
        default: throw LaunchDarklyError.unexpectedStatus(status: status, code: nil, message: "GET \(baseURI)/sdk/latest-all")
        }
    }
}
