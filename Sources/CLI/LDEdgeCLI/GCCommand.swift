import ArgumentParser
import LDEdgeApp
import LDEdgeCore
import Operations

struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Tear down every expired environment (deploy --env NAME --ttl DURATION).",
        discussion: """
            Each expired environment is torn down as 'teardown --env NAME' would: newest step first, \
            resumable; so is one whose teardown was started and still waits on AWS. An environment \
            that has not expired, or whose lock another run holds, is not touched. While CloudFront still holds replicas of a Lambda@Edge function, gc exits 3; \
            run it again later (a nightly job does) or pass --wait. Flags ldedge created for an \
            environment are deleted with it (--keep-flags restores their targeting instead). \
            LDEDGE_NOW (ISO 8601) replaces the clock expiry is judged by.
            """
    )

    @Argument(help: "The workflow file or name (optional: every workflow with state).")
    var workflow: String?

    @Flag(help: "Only list what has expired and would be torn down; change nothing.")
    var dryRun = false

    @Flag(help: "While CloudFront still holds replicas, keep retrying (with backoff) instead of exiting 3.")
    var wait = false

    @Option(help: "With --wait: the first wait between attempts (doubled each time, at most 5m), e.g. 30s.")
    var poll = "30s"

    @Option(help: "With --wait: give up after this long (then exit 3; gc resumes later), e.g. 8h.")
    var timeout = "8h"

    @Flag(help: "Keep the LaunchDarkly flags ldedge created for expired environments (their targeting is restored).")
    var keepFlags = false

    @Flag(help: "Write NDJSON progress events on stdout (docs/events.schema.json); the last, 'summary', holds the result.")
    var json = false

    @Option(
        name: .customLong("state"),
        help: "Where the state is: s3://BUCKET/PREFIX or a folder. Overrides LDEDGE_STATE and the workflow's 'state:'; default .ldedge/.")
    var state: String?

    func validate() throws {
        guard TimeSpec.duration(poll).map({ $0 > 0 }) == true else { throw ValidationError("--poll '\(poll)' is not a duration; write 30s, 5m or 1h") }
        guard TimeSpec.duration(timeout) != nil else { throw ValidationError("--timeout '\(timeout)' is not a duration; write 30m, 8h or 1d") }
    }

    func run() async throws {
        var options: [String: String] = [:]
        if !keepFlags { options["delete-flag"] = "true" }
        let waiting = wait ? TeardownWait(poll: TimeSpec.duration(poll) ?? 30, timeout: TimeSpec.duration(timeout) ?? 8 * 3600) : nil
        try finish(await service(state: state).collectExpired(workflow, dryRun: dryRun, json: json, stepOptions: options, wait: waiting))
    }
}
