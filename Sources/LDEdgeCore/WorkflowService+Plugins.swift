import Foundation

extension WorkflowService {
    /// The registry plus the external plugin kinds the workflow at `path` uses.
    public func registryIncludingPlugins(of path: String?) throws -> StepRegistry {
        guard let path else { return registry }
        var extended = registry
        for kind in try WorkflowLoader(registry: registry, environment: environment).resolvedKinds(usedIn: path) {
            extended.register(kind)
        }
        return extended
    }

    /// `ldedge steps [--workflow FILE]`: the step kinds, with the plugins the workflow uses.
    public func steps(json: Bool, workflow path: String?) async -> ExitStatus {
        guard path != nil else { return await steps(json: json) }
        var extended = self
        let status = await run {
            extended.registry = try registryIncludingPlugins(of: path)
            return .success
        }
        guard status == .success else { return status }
        return await extended.steps(json: json)
    }

    /// `ldedge schema [--workflow FILE]`: the workflow JSON Schema, with the plugins the workflow uses.
    public func schema(workflow path: String?) async -> ExitStatus {
        await run {
            FileHandle.standardOutput.write(Data(try WorkflowSchema.document(try registryIncludingPlugins(of: path)).utf8))
            return .success
        }
    }
}
