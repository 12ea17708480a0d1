import Foundation
import LDEdgeCore

/// `teardown --wait`: how long to keep retrying while AWS still holds something (replicas of a
/// Lambda@Edge function), and how often.
public struct TeardownWait: Sendable, Equatable {
    /// The first wait between attempts; doubled after each one, up to `maxPoll`.
    public var poll: TimeInterval
    /// Give up after this long (then exit 3: a later `ldedge teardown` resumes).
    public var timeout: TimeInterval
    public var maxPoll: TimeInterval = 300

    public init(poll: TimeInterval = 30, timeout: TimeInterval = 8 * 3600) {
        self.poll = poll
        self.timeout = timeout
    }

    /// The wait before attempt `attempt + 1` (1-based): `poll`, doubled each time, capped at `maxPoll`.
    public func delay(afterAttempt attempt: Int) -> TimeInterval {
        min(maxPoll, poll * pow(2, Double(max(0, attempt - 1))))
    }

    /// What users are told to expect: CloudFront removes Lambda@Edge replicas hours after the association.
    public static let typicalWait = "AWS usually removes Lambda@Edge replicas within 1 to 3 hours of the association's removal, sometimes up to 8"
}
