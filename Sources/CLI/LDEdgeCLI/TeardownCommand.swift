import ArgumentParser
import LDEdgeApp
import LDEdgeCore
import Operations

struct TeardownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teardown",
        abstract: "Remove everything a workflow created, newest first; restore what it adopted.",
        discussion: """
            Without an argument, tears down the only workflow with state in .ldedge/. Resumable: \
            after a failure, or while AWS still holds replicas of a Lambda@Edge function (exit 3), \
            run it again and it continues where it stopped.
            """
    )

    @Argument(help: "The workflow file or name (optional when only one has state).")
    var workflow: String?

    @Flag(name: [.short, .long], help: "Tear down without asking.")
    var yes = false

    @Flag(help: "Write NDJSON progress events on stdout (docs/events.schema.json); the last, 'summary', holds the result.")
    var json = false

    @Flag(help: "Also delete LaunchDarkly flags ldedge created (by default their targeting is restored and they are kept).")
    var deleteFlag = false

    @Flag(help: "Keep the Lambda@Edge function (skip the hours-long wait for replica removal).")
    var retainFunction = false

    @Flag(help: "While CloudFront still holds replicas, keep retrying (with backoff) instead of exiting 3.")
    var wait = false

    @Option(help: "With --wait: the first wait between attempts (doubled each time, at most 5m), e.g. 30s.")
    var poll = "30s"

    @Option(help: "With --wait: give up after this long (then exit 3; teardown resumes later), e.g. 8h.")
    var timeout = "8h"

    func validate() throws {
        guard Self.seconds(poll).map({ $0 > 0 }) == true else { throw ValidationError("--poll '\(poll)' is not a duration; write 30s, 5m or 1h") }
        guard Self.seconds(timeout) != nil else { throw ValidationError("--timeout '\(timeout)' is not a duration; write 30m, 8h or 1d") }
    }

    @OptionGroup var state: StateOption

    func run() async throws {
        var options: [String: String] = [:]
        if deleteFlag { options["delete-flag"] = "true" }
        if retainFunction { options["retain-function"] = "true" }
        let waiting = wait ? TeardownWait(poll: Self.seconds(poll) ?? 30, timeout: Self.seconds(timeout) ?? 8 * 3600) : nil
        try finish(await service(state).teardown(workflow, yes: yes, json: json, stepOptions: options, wait: waiting))
    }

    static func seconds(_ text: String) -> Double? { TimeSpec.duration(text) }
}
