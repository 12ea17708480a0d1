import ArgumentParser
import LDEdgeApp
import LDEdgeCore

struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Change only the LaunchDarkly flag of a deployed workflow: a new percentage, one variation, or resume staged holds.",
        discussion: """
            Goes through the workflow's flip-flag step, journaled like a deploy: the previous targeting is \
            recorded and restored if the change fails. Examples:
              ldedge rollout workflows/rebrand.yaml --percent 25
              ldedge rollout workflows/rebrand.yaml --serve false
              ldedge rollout workflows/rebrand.yaml --resume     # continue staged holds after a restart
            """
    )

    @Argument(help: "The workflow file.")
    var workflow: String

    @Option(help: "Percentage of visitors served the new site (true), 0-100.")
    var percent: Double?

    @Option(help: "Serve one variation to everyone: true or false.")
    var serve: Bool?

    @Flag(help: "Continue a staged rollout from the recorded stage.")
    var resume = false

    @Flag(help: "Apply the current stage and return instead of holding; --resume later continues after the hold.")
    var noWait = false

    @Option(help: "The flip-flag step to change, when the workflow has several.")
    var step: String?

    @Flag(name: [.short, .long], help: "Change without asking.")
    var yes = false

    @Flag(help: "Write NDJSON progress events on stdout (docs/events.schema.json); the last, 'summary', holds the result.")
    var json = false

    func validate() throws {
        let chosen = [percent != nil, serve != nil, resume].filter { $0 }.count
        guard chosen == 1 else { throw ValidationError("give exactly one of --percent, --serve and --resume") }
        if let percent, !(0...100).contains(percent) { throw ValidationError("--percent must be between 0 and 100, got \(percent)") }
    }

    @OptionGroup var state: StateOption

    func run() async throws {
        let change: WorkflowService.RolloutChange = percent.map { .percent($0) } ?? serve.map { .serve($0) } ?? .resume
        try finish(await service(state).rollout(workflow, step: step, change: change, yes: yes, json: json, noWait: noWait))
    }
}
