import AttachTriggerStep
import BuildHandlerStep
import CleanupStep
import EdgeDistributionStep
import EdgeFunctionStep
import FlipFlagStep
import LDEdgeCore
import PackageZipStep
import RelayProxyStep
import PluginHost
import RunStep
import UploadSiteStep

extension StepRegistry {
    /// Every step kind that ships with ldedge, and external plugins (`uses: ./path`, `plugin:NAME`).
    public static let builtin = StepRegistry(builtinKinds, resolvers: [PluginResolver()])

    /// The step kinds compiled into ldedge.
    public static let builtinKinds: [StepKind] = [
        StepKind(RunStep.self),
        StepKind(CleanupStep.self),
        StepKind(UploadSiteStep.self),
        StepKind(EdgeDistributionStep.self),
        StepKind(BuildHandlerStep.self),
        StepKind(PackageZipStep.self),
        StepKind(AttachTriggerStep.self),
        StepKind(FlipFlagStep.self),
        StepKind(RelayProxyStep.self),
        StepKind(EdgeFunctionStep.self),
    ]
}
