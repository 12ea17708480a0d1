import Foundation

extension AWSClient {
    /// CloudWatch Logs in this client's region.
    public var logs: CloudWatchLogsClient { CloudWatchLogsClient(self) }
    /// CloudWatch metrics in this client's region.
    public var cloudWatch: CloudWatchClient { CloudWatchClient(self) }

    /// A copy of this client that talks to `region` (same credentials, endpoints and HTTP client).
    public func inRegion(_ region: String) -> AWSClient {
        var configuration = configuration
        configuration.region = region
        return AWSClient(configuration: configuration, httpClient: httpClient)
    }
}
