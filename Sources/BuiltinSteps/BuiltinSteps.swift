import AttachTriggerStep
import BuildHandlerStep
import CleanupStep
import EdgeDistributionStep
import FlipFlagStep
import LDEdgeCore
import PackageZipStep
import RelayProxyStep
import RunStep
import UploadSiteStep

extension StepRegistry {
    /// Every step kind that ships with ldedge.
    public static let builtin = StepRegistry([
        StepKind(RunStep.self),
        StepKind(CleanupStep.self),
        StepKind(UploadSiteStep.self),
        StepKind(EdgeDistributionStep.self),
        StepKind(BuildHandlerStep.self),
        StepKind(PackageZipStep.self),
        StepKind(AttachTriggerStep.self),
        StepKind(FlipFlagStep.self),
        StepKind(RelayProxyStep.self),
    ])
}
