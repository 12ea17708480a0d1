import Crypto
import Foundation

/// A plan saved by `ldedge plan WORKFLOW --out FILE` and applied by `ldedge deploy FILE`.
///
/// It records what the plan was made against: the state serial, the workflow file's hash, the
/// git commit, and a fingerprint of every step's plan (the changes and the step's private plan
/// data, which hold what the step observed: ETags, versions, remote settings).
/// `deploy FILE` re-plans under the lock and refuses, changing nothing, when any of them moved.
/// Secrets are redacted like everywhere else.
public struct SavedPlan: Codable, Sendable {
    public static let formatName = "ldedge-plan"

    public var format: String
    public var version: Int
    public var ldedge: String
    public var createdAt: Date
    public var workflow: String
    /// The environment (`plan --env`) the plan was made for; deploying it uses the same one.
    public var environment: String?
    /// The workflow file, absolute.
    public var file: String
    /// SHA-256 of the workflow file's bytes.
    public var workflowHash: String
    /// Where the state is (`.ldedge` folder or `s3://...`).
    public var state: String
    /// The journal sequence number of the state the plan was made against.
    public var serial: Int
    public var git: GitStamp?
    /// Step id -> SHA-256 of what the step planned and observed.
    public var fingerprints: [String: String]
    public var plan: WorkflowPlan

    public init(plan: WorkflowPlan, workflow: Workflow, state: String, serial: Int) throws {
        format = Self.formatName
        version = 1
        ldedge = LDEdgeVersion.current
        createdAt = Date()
        self.workflow = workflow.name
        environment = workflow.environment
        file = URL(fileURLWithPath: workflow.file).standardizedFileURL.path
        workflowHash = try Self.hash(ofFile: file)
        self.state = state
        self.serial = serial
        git = plan.git
        fingerprints = Self.fingerprints(plan)
        self.plan = plan
    }

    /// The saved plan at `path`, or nil when the file is not one (a workflow file).
    public static func read(_ path: String) throws -> SavedPlan? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["format"] as? String == formatName else {
            return nil
        }
        do {
            return try JSONDecoder.iso8601.decode(SavedPlan.self, from: data)
        } catch {
            throw SavedPlanError.unreadable(path: path, reason: "\(error)")
        }
    }

    /// The plan file's bytes: pretty JSON, secrets redacted.
    public func encoded() throws -> Data {
        Secrets.shared.redact(try JSONEncoder.pretty.encode(self))
    }

    public static func hash(ofFile path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SavedPlanError.unreadable(path: path, reason: "the workflow file is gone")
        }
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// One digest per step of its changes, outputs, private plan data and pending note (redacted).
    public static func fingerprints(_ plan: WorkflowPlan) -> [String: String] {
        struct Observed: Encodable {
            var kind: String
            var changes: [PlannedChange]
            var outputs: [String: String]
            var data: JSONValue
            var pending: String?
            var drift: [DriftItem]
        }
        var result: [String: String] = [:]
        for entry in plan.steps {
            // A line that changes nothing is described, not done: its text (an age such as
            // "taken 3 min ago") may differ by the time the plan is applied without the apply
            // doing anything else. Its resource still counts.
            let changes = (entry.plan?.changes ?? []).map { change in
                change.action == .none ? PlannedChange(.none, change.resource) : change
            }
            let observed = Observed(
                kind: entry.kind, changes: changes, outputs: entry.plan?.outputs ?? [:],
                data: entry.plan?.data ?? .null, pending: entry.pending, drift: plan.drift.filter { $0.step == entry.id })
            let bytes = Secrets.shared.redact((try? JSONEncoder.canonical.encode(observed)) ?? Data())
            result[entry.id] = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        }
        return result
    }

    /// The workflow file to deploy: the absolute path it was planned from, or, on another machine
    /// (a CI runner with another checkout path), the path as given to `plan`, from here.
    public var workflowPath: String {
        FileManager.default.fileExists(atPath: file) ? file : plan.file
    }

    /// Refuses when the workflow file changed since the plan was made.
    public func checkWorkflowFile() throws {
        let now = try Self.hash(ofFile: workflowPath)
        if now != workflowHash { throw SavedPlanError.workflowChanged(file: file) }
    }

    /// Refuses when a fresh plan differs from the saved one in any step.
    public func verify(_ fresh: WorkflowPlan) throws {
        let now = Self.fingerprints(fresh)
        let changed = Set(now.keys).union(fingerprints.keys).filter { now[$0] != fingerprints[$0] }.sorted()
        if !changed.isEmpty { throw SavedPlanError.worldChanged(steps: changed) }
    }
}

/// Why a saved plan cannot be applied; nothing was changed in every case.
public enum SavedPlanError: Error, CustomStringConvertible, Sendable {
    case unreadable(path: String, reason: String)
    case workflowChanged(file: String)
    case serialChanged(planned: Int, now: Int)
    case interrupted
    case worldChanged(steps: [String])
    case otherState(planned: String, now: String)
    case otherEnvironment(planned: String?, now: String?)

    public var description: String {
        let again = "nothing was changed; make a new plan ('ldedge plan WORKFLOW --out FILE'), review it, and deploy that"
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): not a readable ldedge plan (\(reason)); \(again)"
        case .workflowChanged(let file):
            return "\(file) changed since the plan was made; \(again)"
        case .serialChanged(let planned, let now):
            return "the state changed since the plan was made (serial \(planned), now \(now)): another run deployed in between; \(again)"
        case .interrupted:
            return "an earlier run was interrupted and must be recovered first ('ldedge deploy WORKFLOW'); \(again)"
        case .worldChanged(let steps):
            return "the world changed since the plan was made: step\(steps.count == 1 ? "" : "s") \(steps.joined(separator: ", ")) would now do something else; \(again)"
        case .otherState(let planned, let now):
            return "the plan was made against the state at \(planned), but this run uses \(now); \(again)"
        case .otherEnvironment(let planned, let now):
            let describe = { (name: String?) in name.map { "environment \($0)" } ?? "no environment" }
            return "the plan was made for \(describe(planned)), but this run asks for \(describe(now)) (--env / LDEDGE_ENV); nothing was changed; deploy it with the environment it was made for, or make a new plan"
        }
    }
}

extension GitStamp {
    /// The stamp without the plan file itself, which CI drops into the checkout it deploys.
    public func excluding(planFile: String) -> GitStamp {
        let name = URL(fileURLWithPath: planFile).standardizedFileURL.path
        var copy = self
        copy.changedPaths = changedPaths.filter { !name.hasSuffix("/" + $0) && $0 != planFile }
        copy.dirty = dirty && !copy.changedPaths.isEmpty
        return copy
    }
}
