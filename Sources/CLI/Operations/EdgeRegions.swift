import AWS
import Foundation

/// The regions Lambda@Edge may have logged in: every region enabled for the account (EC2 DescribeRegions).
public enum EdgeRegions {
    public static func enabled(_ client: AWSClient) async throws -> [String] {
        let regions = try await client.ec2.describeRegions().map(\.name)
        return regions.isEmpty ? ["us-east-1"] : regions.sorted()
    }
}
