import ArgumentParser
import LDEdgeApp
import Operations

/// `--wait [--poll 30s] [--timeout 8h]` of `teardown` and `gc`: keep retrying while CloudFront
/// still holds replicas instead of exiting 3.
struct ReplicaWaitOption: ParsableArguments {
    @Flag(help: "While CloudFront still holds replicas, keep retrying (with backoff) instead of exiting 3.")
    var wait = false

    @Option(help: "With --wait: the first wait between attempts (doubled each time, at most 5m), e.g. 30s.")
    var poll = "30s"

    @Option(help: "With --wait: give up after this long (then exit 3; a later run resumes), e.g. 8h.")
    var timeout = "8h"

    func validate() throws {
        guard TimeSpec.duration(poll).map({ $0 > 0 }) == true else { throw ValidationError("--poll '\(poll)' is not a duration; write 30s, 5m or 1h") }
        guard TimeSpec.duration(timeout) != nil else { throw ValidationError("--timeout '\(timeout)' is not a duration; write 30m, 8h or 1d") }
    }

    /// nil without `--wait`.
    var teardownWait: TeardownWait? {
        wait ? TeardownWait(poll: TimeSpec.duration(poll) ?? 30, timeout: TimeSpec.duration(timeout) ?? 8 * 3600) : nil
    }
}
