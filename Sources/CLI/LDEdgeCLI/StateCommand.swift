import ArgumentParser
import LDEdgeApp
import LDEdgeCore

/// `ldedge state show|pull|push|unlock`: the shared (S3) state of a workflow.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Inspect and move a workflow's state: show, pull (remote -> local), push (local -> remote), unlock.",
        discussion: """
            The remote state is chosen like for every command: --state s3://BUCKET/PREFIX, LDEDGE_STATE, \
            or the workflow's top-level 'state:'. Examples:
              ldedge state show workflows/rebrand.yaml
              ldedge state push workflows/rebrand.yaml --state s3://my-team-state/ldedge   # migrate .ldedge/ to S3
              ldedge state unlock rebrand --force 20260101T120000Z-1a2b3c   # a dead run's lock
            """,
        subcommands: [Show.self, Pull.self, Push.self, Unlock.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the state: location, serial, lock holder, steps and resources.")
        @Argument(help: "The workflow file or name (optional when only one has state).")
        var workflow: String?
        @OptionGroup var state: StateOption
        @Flag(help: "Print it as JSON on stdout.")
        var json = false

        func run() async throws {
            try finish(await service(state).stateShow(workflow, json: json))
        }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Copy the remote state into .ldedge/<workflow>/.")
        @Argument(help: "The workflow file or name (optional when only one has state).")
        var workflow: String?
        @OptionGroup var state: StateOption
        @Flag(help: "Overwrite a local state that owns resources or is newer.")
        var force = false

        func run() async throws {
            try finish(await service(state).statePull(workflow, force: force))
        }
    }

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy .ldedge/<workflow>/ to the remote state (migrate a local deployment).",
            discussion: "Refuses to overwrite a remote state that is newer or owns resources unless --force.")
        @Argument(help: "The workflow file or name (optional when only one has local state).")
        var workflow: String?
        @OptionGroup var state: StateOption
        @Flag(help: "Overwrite a remote state that is newer or owns resources.")
        var force = false

        func run() async throws {
            try finish(await service(state).statePush(workflow, force: force))
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the lock of a run that died; only when the lock is that run's.",
            discussion: "The run id is in the 'locked by' message and in 'ldedge state show'.")
        @Argument(help: "The workflow name or file.")
        var workflow: String
        @Option(help: "The run id of the dead run whose lock to remove.")
        var force: String
        @OptionGroup var state: StateOption

        func run() async throws {
            try finish(await service(state).stateUnlock(workflow, runID: force))
        }
    }
}
