import Foundation
import Synchronization

/// Values for the `X-Ratelimit-*` headers: a 10 s window, reported but not enforced
/// (inject a 429 fault to exercise a caller's retry path).
final class RateLimitWindow: Sendable {
    static let limit = 10_000
    private struct Contents {
        var start = Date()
        var count = 0
    }
    private let contents = Mutex(Contents())

    func next(now: Date = Date()) -> (remaining: Int, reset: Int64) {
        contents.withLock { contents in
            if now.timeIntervalSince(contents.start) >= 10 {
                contents.start = now
                contents.count = 0
            }
            contents.count += 1
            let reset = Int64((contents.start.timeIntervalSince1970 + 10) * 1000)
            return (max(0, Self.limit - contents.count), reset)
        }
    }
}
