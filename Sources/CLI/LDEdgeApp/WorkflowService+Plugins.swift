import Foundation
import LDEdgeCore

extension WorkflowService {
    /// The registry plus the external plugin kinds the workflow at `path` uses.
    public func registryIncludingPlugins(of path: String?) async throws -> StepRegistry {
        guard let path else { return registry }
        var extended = registry
        let loader = WorkflowLoader(registry: registry, environment: environment)
        await loader.prepare(path)
        for kind in try loader.resolvedKinds(usedIn: path) {
            extended.register(kind)
        }
        return extended
    }

    /// `ldedge steps [--workflow FILE]`: the step kinds, with the plugins the workflow uses.
    public func steps(json: Bool, workflow path: String?) async -> ExitStatus {
        guard path != nil else { return await steps(json: json) }
        var extended = self
        let status = await run {
            extended.registry = try await registryIncludingPlugins(of: path)
            return .success
        }
        guard status == .success else { return status }
        return await extended.steps(json: json)
    }

    /// `ldedge schema [--workflow FILE]`: the workflow JSON Schema, with the plugins the workflow uses.
    public func schema(workflow path: String?) async -> ExitStatus {
        await run {
            let registry = try await registryIncludingPlugins(of: path)
            FileHandle.standardOutput.write(Data(try WorkflowSchema.document(registry).utf8))
            return .success
        }
    }
}
