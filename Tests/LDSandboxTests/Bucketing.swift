import Crypto
import Foundation
import LaunchDarkly

/// An independent implementation of LaunchDarkly's percentage-rollout bucketing (docs/architecture.md, "LaunchDarkly facts"):
/// sha1("{flagKey}.{salt}.{contextKey}"), first 15 hex digits / 0xFFFFFFFFFFFFFFF, then walk the
/// weights (thousandths of a percent) and pick the first variation whose running sum exceeds the bucket.
enum Bucketing {
    static func bucket(flagKey: String, salt: String, contextKey: String) -> Double {
        let digest = Insecure.SHA1.hash(data: Array("\(flagKey).\(salt).\(contextKey)".utf8))
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        let value = UInt64(hex.prefix(15), radix: 16) ?? 0
        return Double(value) / Double(0xFFF_FFFF_FFFF_FFFF as UInt64)
    }

    static func variation(_ rollout: Rollout, bucket: Double) -> Int {
        var sum = 0.0
        for weighted in rollout.variations {
            sum += Double(weighted.weight) / 100_000.0
            if bucket < sum { return weighted.variation }
        }
        return rollout.variations.last?.variation ?? 0
    }
}
