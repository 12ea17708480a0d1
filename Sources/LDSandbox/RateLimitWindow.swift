import Foundation

/// Values for the `X-Ratelimit-*` headers: a 10 s window, reported but not enforced
/// (inject a 429 fault to exercise a caller's retry path).
final class RateLimitWindow: @unchecked Sendable {
    static let limit = 10_000
    private let lock = NSLock()
    private var start = Date()
    private var count = 0

    func next(now: Date = Date()) -> (remaining: Int, reset: Int64) {
        lock.lock()
        defer { lock.unlock() }
        if now.timeIntervalSince(start) >= 10 {
            start = now
            count = 0
        }
        count += 1
        return (max(0, Self.limit - count), Int64((start.timeIntervalSince1970 + 10) * 1000))
    }
}
