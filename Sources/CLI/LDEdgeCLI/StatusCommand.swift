import ArgumentParser
import LDEdgeApp
import LDEdgeCore
import Operations

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what ldedge recorded for a workflow: steps, resources, outputs, last run, git commit.",
        discussion: """
            With --live, asks the world instead: the distribution's status and domain, the function version \
            associated and the versions that exist, the flag's targeting in LaunchDarkly (and drift from what \
            ldedge set), and the last 15 minutes of CloudFront Requests/4xxErrorRate/5xxErrorRate and the \
            function's Errors/Throttles from CloudWatch.
            """
    )

    @Argument(help: "The workflow file or name (optional when only one has state).")
    var workflow: String?

    @Flag(help: "Print the recorded state (or with --live, the live status) as JSON on stdout.")
    var json = false

    @Flag(help: "Read the live status from CloudFront, Lambda, LaunchDarkly and CloudWatch.")
    var live = false

    @Flag(help: "Compare what the workflow owns and adopted with what the last run recorded; exit 2 on drift.")
    var drift = false

    @OptionGroup var state: StateOption

    func run() async throws {
        if live {
            try finish(await LiveStatusService(workflows: service(state)).run(workflow, json: json))
        } else if drift {
            try finish(await service(state).statusDrift(workflow, json: json))
        } else {
            try finish(await service(state).status(workflow, json: json))
        }
    }
}
