import ArgumentParser
import Foundation
import LDEdgeApp
import LDEdgeCore

/// `--state URL`: where the state is (`envs` and `gc`, which look at every environment, take only this).
struct StateURLOption: ParsableArguments {
    @Option(
        name: .customLong("state"),
        help: "Where the state is: s3://BUCKET/PREFIX (shared, locked) or a folder. Overrides LDEDGE_STATE and the workflow's 'state:'; default .ldedge/.")
    var url: String?
}

/// `--state URL` and `--env NAME`, accepted by every command that takes a workflow.
struct StateOption: ParsableArguments {
    @OptionGroup var location: StateURLOption

    var url: String? { location.url }

    @Option(
        name: .customLong("env"),
        help: ArgumentHelp(
            "The environment (staging, pr-42): its own state, lock and resource names. Overrides LDEDGE_ENV; default none.",
            valueName: "name"))
    var environment: String?

    /// `--env`, else `LDEDGE_ENV` (empty means none).
    var environmentName: String? {
        let value = environment ?? ProcessInfo.processInfo.environment["LDEDGE_ENV"]
        return value.flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        if let name = environmentName, let problem = Deployment.problem(environment: name) {
            throw ValidationError("\(environment == nil ? "LDEDGE_ENV" : "--env"): \(problem)")
        }
    }
}

/// The command services for `--state` and `--env`.
func service(_ option: StateOption) -> WorkflowService {
    service(state: option.url, environmentName: option.environmentName)
}
