import Foundation

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

extension WorkflowService {
    /// Tears down, and while only waits on AWS remain (nothing failed), retries with backoff until done,
    /// the timeout passes or the user interrupts; each attempt resumes where the last one stopped.
    func teardownWaiting(
        _ name: String, workflow: Workflow?, location: any StateLocation, events: EventStream?, stepOptions: [String: String], wait: TeardownWait?
    ) async throws -> TeardownReport {
        let started = Date()
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await engine(state: location, events: events) { $0.stepOptions = stepOptions }.teardown(workflow: name, workflow: workflow)
            } catch EngineError.teardownIncomplete(let failed, let pending) where failed.isEmpty && !pending.isEmpty {
                guard let wait else { throw EngineError.teardownIncomplete(failed: failed, pending: pending) }
                let elapsed = Date().timeIntervalSince(started)
                let delay = min(wait.delay(afterAttempt: attempt), max(0, wait.timeout - elapsed))
                guard delay > 0, !InterruptFlag.shared.isRaised else {
                    console.err("gave up waiting after \(Self.clock(elapsed)) (--timeout \(Self.clock(wait.timeout)))")
                    throw EngineError.teardownIncomplete(failed: failed, pending: pending)
                }
                console.err("waiting on AWS for \(pending.keys.sorted().joined(separator: ", ")): \(Self.clock(elapsed)) so far, next attempt in \(Self.clock(delay)). \(TeardownWait.typicalWait). Ctrl-C stops waiting; 'ldedge teardown' resumes later")
                if try await !sleep(delay) {
                    console.err("stopped waiting after \(Self.clock(Date().timeIntervalSince(started))); run 'ldedge teardown' again to resume")
                    throw EngineError.teardownIncomplete(failed: failed, pending: pending)
                }
            }
        }
    }

    /// Sleeps `seconds` in short slices; false when a signal asked to stop.
    private func sleep(_ seconds: TimeInterval) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if InterruptFlag.shared.isRaised { return false }
            try await Task.sleep(nanoseconds: UInt64(min(0.2, max(0, deadline.timeIntervalSinceNow)) * 1e9))
        }
        return !InterruptFlag.shared.isRaised
    }

    /// `42s`, `3m05s`, `1h02m`.
    static func clock(_ seconds: TimeInterval) -> String {
        Elapsed.whole(seconds.isFinite ? Int(seconds.rounded()) : 0)
    }
}
