/// Documented exit codes of the `ldedge` command.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// A run failed (and was rolled back unless --no-rollback), or an error occurred.
    case failure = 1
    /// `plan --detailed-exitcode`: changes are pending.
    case changesPending = 2
    /// Teardown is waiting on AWS (a replicated Lambda@Edge function); run it again later.
    case teardownPending = 3
    /// Another ldedge run holds the workflow's lock.
    case locked = 4
    /// Usage error (ArgumentParser's code).
    case usage = 64
    /// The workflow file is invalid; nothing was changed.
    case invalidWorkflow = 65
    /// The machine is not set up for a step (AWS credentials or region, LaunchDarkly token):
    /// `EX_CONFIG` from the same sysexits family as 64 and 65. Nothing was changed.
    case configuration = 78
}
