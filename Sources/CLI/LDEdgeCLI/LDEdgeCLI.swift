import BuiltinSteps
import Foundation
import LDEdgeCore
import Synchronization

/// The whole `ldedge` command tree as a library, so a team's package can build its own `ldedge`
/// executable with its own step kinds next to every built-in one:
///
/// ```swift
/// // Sources/ldedge/main.swift in the team's package
/// import LDEdgeCLI
/// import LDEdgeKit
/// await LDEdgeCLI.main(extraSteps: [StepKind(PublishParameterStep.self)])
/// ```
public enum LDEdgeCLI {
    /// The registry every command uses, set once by `main` before parsing.
    private static let current = Mutex(StepRegistry.builtin)

    static var registry: StepRegistry { current.withLock { $0 } }

    /// Parses the process arguments and runs the command, with `extraSteps` registered beside
    /// the built-in kinds (and external plugins, which every ldedge resolves). A kind named like
    /// a built-in one replaces it.
    public static func main(extraSteps: [StepKind] = []) async {
        current.withLock { registry in
            for kind in extraSteps { registry.register(kind) }
        }
        StallProbe.start(ProcessInfo.processInfo.environment)
        await LDEdge.main()
    }
}
