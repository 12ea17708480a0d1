import ArgumentParser
import LDEdgeApp
import Operations

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show the edge function's log lines from every region, merged by time.",
        discussion: """
            Lambda@Edge logs to /aws/lambda/us-east-1.FUNCTION in each region that served a viewer. \
            ldedge finds those groups in every enabled region and prints TIME REGION REQUEST-ID MESSAGE, \
            oldest first. A region that refuses access is reported once; the others are still shown.
            """
    )

    @Argument(help: "The workflow file or name (optional when only one has state).")
    var workflow: String?

    @Option(help: "The step that owns the function (when several do).")
    var step: String?

    @Option(help: "Start from this long ago (30s, 15m, 2h, 1d) or from an ISO 8601 time.")
    var since = "15m"

    @Flag(help: "Keep polling for new lines until Ctrl-C.")
    var follow = false

    @Option(help: "A CloudWatch Logs filter pattern (for example ERROR or \"source=fallback\").")
    var filter: String?

    @Flag(help: "Print one JSON object per line (time, timestamp, region, requestId, message, logGroup, logStream, eventId).")
    var json = false

    @OptionGroup var state: StateOption

    func run() async throws {
        var request = LogsService.Request()
        request.workflow = workflow
        request.step = step
        request.since = since
        request.follow = follow
        request.filterPattern = filter
        request.json = json
        try finish(await LogsService(workflows: service(state)).run(request))
    }
}
