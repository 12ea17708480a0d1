import LDEdgeCLI
import LDEdgeKit
import PublishParameterStep

// This package's ldedge: the whole command tree, every built-in step, and publish-parameter.
await LDEdgeCLI.main(extraSteps: [StepKind(PublishParameterStep.self)])
