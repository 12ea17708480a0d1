import Foundation
import LaunchDarkly
import LDEdgeKit

/// Sets a LaunchDarkly flag's targeting in one environment: a percentage rollout, one variation,
/// or a staged rollout with holds and a health guard; creates the flag when it is missing.
///
/// Dry run: reads the flag and shows its current targeting next to the target; says when nothing changes.
///
/// Rollback: restores the targeting the flag had before this run (on/off, off variation, fallthrough)
/// in one semantic patch; a flag this run created is deleted, since nothing existed before.
///
/// Teardown: restores the targeting the flag had before ldedge first changed it; deletes the flag only
/// when ldedge created it and `--delete-flag` is given.
public struct FlipFlagStep: Step {
    public struct Stage: Codable, Sendable, Equatable {
        public var percent: Double
        public var hold: String?
    }

    /// A URL probe (`url`) or a CloudWatch metric (`metric`, `max`, `period`) checked during each hold.
    public struct Guard: Codable, Sendable, Equatable {
        public var url: String?
        public var expectStatus: String?
        public var maxErrorRate: String?
        public var samples: Int?
        public var metric: String?
        public var max: GuardThreshold?
        public var period: String?
        public var distribution: String?
        public var function: String?
    }

    public struct Input: Decodable, Sendable {
        public var flag: String
        public var project: String?
        public var environment: String?
        public var rollout: [String: Double]?
        public var serve: Bool?
        public var on: Bool?
        public var offVariation: Bool?
        public var bucketBy: String?
        public var contextKind: String?
        public var stages: [Stage]?
        public var `guard`: Guard?
        public var create: Bool?
        public var name: String?
        public var description: String?
    }

    public static let kind = "flip-flag"
    public static let summary = "Set a LaunchDarkly flag to a percentage rollout or one variation (staged, guarded), restoring it exactly on rollback"
    public static let documentation = """
        Dry run: shows the flag's current targeting next to the target. Rollback: restores the targeting from \
        before this run in one semantic patch (a flag this run created is deleted). Teardown: restores the \
        targeting from before ldedge first changed it; deletes the flag only if ldedge created it and --delete-flag is given.
        """
    public static let inputs: [InputField] = [
        InputField("flag", .string, required: true, "flag key, e.g. rebrand"),
        InputField("project", .string, "project key (default: launchdarkly.project, LD_PROJECT, or 'default')"),
        InputField("environment", .string, "environment key (default: launchdarkly.environment, LD_ENVIRONMENT, or 'production')"),
        InputField("rollout", .dictionary(.number), "percentage per variation value, e.g. {true: 25, false: 75}; sums to 100"),
        InputField("serve", .boolean, "serve one variation to everyone instead of a rollout"),
        InputField("on", .boolean, default: "true", "targeting on (rollout/serve apply) or off (off variation)"),
        InputField("offVariation", .boolean, "variation served when targeting is off (unchanged when absent)"),
        InputField("bucketBy", .string, default: "key", "context attribute the rollout buckets by"),
        InputField("contextKind", .string, default: "user", "context kind the rollout buckets"),
        InputField("stages", .list(.object([
            InputField("percent", .number, required: true, "percentage of contexts served true in this stage"),
            InputField("hold", .string, "how long to hold before the next stage: 30s, 10m, 1h"),
        ])), "staged rollout: percentages in increasing order with holds; `ldedge rollout --resume` continues after a restart"),
        InputField("guard", .object([
            InputField("url", .string, "URL probed during each hold (or give 'metric')"),
            InputField("expectStatus", .string, default: "200-399", "accepted HTTP status range"),
            InputField("maxErrorRate", .string, default: "1%", "largest share of failed probes before the rollout is reverted"),
            InputField("samples", .integer, default: "20", "probes per hold"),
            InputField("metric", .choice(MetricGuard.metrics), "CloudWatch metric read during each hold instead of a URL probe"),
            InputField("max", .oneOf([.string, .number]), "largest value of the metric: 1% for the error rates, a count or a percentage of invocations for lambdaErrors"),
            InputField("period", .string, default: "60s", "CloudWatch period of the metric: 1s, 5s, 10s, 30s or a multiple of 60s"),
            InputField("distribution", .string, "distribution id whose 4xxErrorRate/5xxErrorRate is read, e.g. ${steps.cdn.outputs.id}"),
            InputField("function", .string, "function name whose Errors are read (lambdaErrors), e.g. the attach-trigger functionName"),
        ]), "health check during holds (URL probe or CloudWatch metric); a failure restores the flag and fails the run"),
        InputField("create", .boolean, default: "true", "create a boolean flag when it does not exist"),
        InputField("name", .string, "name for a created flag"),
        InputField("description", .string, "description for a created flag"),
    ]
    public static let outputs: [OutputField] = [
        OutputField("flag", "the flag key"),
        OutputField("project", "the project key"),
        OutputField("environment", "the environment key"),
        OutputField("targeting", "what the flag serves now, e.g. 'on: rollout true 50% / false 50%'", role: .flagTargeting),
    ]

    public let id: String
    public let input: Input

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    public static func validate(_ input: Input) -> [InputIssue] {
        var issues: [InputIssue] = []
        let modes = [input.rollout != nil, input.serve != nil, input.stages != nil].filter { $0 }.count
        if modes > 1 {
            issues.append(InputIssue(["rollout"], "give only one of 'rollout', 'serve' and 'stages'"))
        }
        if let rollout = input.rollout {
            for key in rollout.keys where key != "true" && key != "false" {
                issues.append(InputIssue(["rollout", key], "rollout keys are the flag's variation values 'true' and 'false', found '\(key)'"))
            }
            for (key, value) in rollout where value < 0 || value > 100 {
                issues.append(InputIssue(["rollout", key], "\(format(value))% is outside 0...100"))
            }
            let sum = rollout.values.reduce(0, +)
            if abs(sum - 100) > 1e-6 {
                issues.append(InputIssue(["rollout"], "rollout percentages sum to \(format(sum)), they must sum to 100"))
            }
        }
        if let stages = input.stages {
            if stages.isEmpty { issues.append(InputIssue(["stages"], "'stages' is empty; give at least one stage")) }
            var previous = -1.0
            for (index, stage) in stages.enumerated() {
                if stage.percent < 0 || stage.percent > 100 {
                    issues.append(InputIssue(["stages", String(index), "percent"], "\(format(stage.percent))% is outside 0...100"))
                }
                if stage.percent <= previous {
                    issues.append(InputIssue(["stages", String(index), "percent"], "stage percentages must increase; \(format(stage.percent))% follows \(format(previous))%"))
                }
                previous = stage.percent
                if let hold = stage.hold, Duration.parse(hold) == nil {
                    issues.append(InputIssue(["stages", String(index), "hold"], "'\(hold)' is not a duration; write 30s, 10m or 1h"))
                }
            }
        }
        if let check = input.guard {
            issues += MetricGuard.validate(check)
            if let url = check.url, URL(string: url)?.scheme == nil {
                issues.append(InputIssue(["guard", "url"], "'\(url)' is not a URL"))
            }
            if let range = check.expectStatus, StatusRange(range) == nil {
                issues.append(InputIssue(["guard", "expectStatus"], "'\(range)' is not a status range; write 200-399"))
            }
            if let rate = check.maxErrorRate, Percentage.parse(rate) == nil {
                issues.append(InputIssue(["guard", "maxErrorRate"], "'\(rate)' is not a percentage; write 1%"))
            }
            if let samples = check.samples, samples < 1 {
                issues.append(InputIssue(["guard", "samples"], "samples must be at least 1"))
            }
            if input.stages == nil {
                issues.append(InputIssue(["guard"], "'guard' is probed during stage holds; add 'stages'"))
            }
        }
        return issues
    }

    // MARK: Plan

    public func plan(_ context: StepContext) async throws -> StepPlan {
        let target = FlagTarget(self, context)
        let client = try LaunchDarklyAccess.client(context)
        let existing = try await client.flagIfExists(project: target.project, key: input.flag, environment: target.environment)
        var changes: [PlannedChange] = []
        var outputs = ["flag": input.flag, "project": target.project, "environment": target.environment]
        guard let flag = existing else {
            guard input.create != false else {
                return StepPlan(findings: [.error("flag '\(input.flag)' does not exist in project '\(target.project)' and 'create' is false; create it or set create: true")])
            }
            changes.append(PlannedChange(.create, "flag \(target.project)/\(input.flag)", detail: "boolean, variations true/false, serves false when off"))
            changes.append(PlannedChange(.update, "targeting of \(input.flag) in \(target.environment)", before: "(new flag) off", after: target.summary(stage: stageToRun(context))))
            return StepPlan(changes: changes, data: .null)
        }
        let configuration = try flag.configuration(for: target.environment)
        let current = TargetingSnapshot(configuration, of: flag).summary
        let goal = target.summary(stage: stageToRun(context))
        let needed = try target.instructions(for: flag, stage: stageToRun(context))
        if needed.isEmpty && !resumingStages(context) {
            outputs["targeting"] = current
            changes.append(PlannedChange(.none, "targeting of \(input.flag) in \(target.environment)", detail: current))
            return StepPlan(changes: changes, outputs: outputs)
        }
        var change = PlannedChange(.update, "targeting of \(input.flag) in \(target.environment)", before: current, after: goal)
        if let stages = input.stages {
            let start = stageToRun(context) ?? 0
            change.detail = "staged: " + stages.enumerated().filter { $0.offset >= start }.map { "\(format($0.element.percent))%\($0.element.hold.map { " hold \($0)" } ?? "")" }.joined(separator: " -> ")
        }
        changes.append(change)
        return StepPlan(changes: changes)
    }

    // MARK: Apply

    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let target = FlagTarget(self, context)
        let client = try LaunchDarklyAccess.client(context)
        var flag: FeatureFlag
        if let existing = try await client.flagIfExists(project: target.project, key: input.flag, environment: target.environment) {
            flag = existing
            if !context.ownedResources.contains(where: { $0.type == "launchdarkly-flag" && $0.id == input.flag }) {
                try context.own(Resource(type: "launchdarkly-flag", id: input.flag, attributes: ["project": target.project, "environment": target.environment], adopted: true))
            }
        } else {
            guard input.create != false else { throw FlipFlagError.missingFlag(project: target.project, flag: input.flag) }
            let undo = FlipFlagUndo.deleteCreatedFlag(project: target.project)
            flag = try await context.perform("create flag \(target.project)/\(input.flag)", undo: undo) {
                try await client.createBooleanFlag(
                    project: target.project, key: input.flag, name: input.name, description: input.description ?? "Created by ldedge for workflow \(context.workflowName)")
            }
            try context.own(Resource(
                type: "launchdarkly-flag", id: input.flag,
                attributes: [
                    "project": target.project, "environment": target.environment, "created": "true",
                    "onTeardown": "restore targeting (or delete with --delete-flag) of",
                ]))
            flag = try await client.flag(project: target.project, key: input.flag, environment: target.environment)
        }
        let before = TargetingSnapshot(try flag.configuration(for: target.environment), of: flag)
        // The snapshot teardown restores: the targeting before ldedge first changed this flag.
        if context.recall("original", as: TargetingSnapshot.self) == nil {
            try context.remember("original", before)
        }

        if let stages = input.stages {
            try await runStages(stages, from: stageToRun(context) ?? 0, target: target, client: client, context: context)
        } else {
            try await setTargeting(target.instructions(for: flag, stage: nil), describe: target.summary(stage: nil), before: before, target: target, client: client, context: context)
        }
        let after = try await client.flag(project: target.project, key: input.flag, environment: target.environment)
        return [
            "flag": input.flag, "project": target.project, "environment": target.environment,
            "targeting": TargetingSnapshot(try after.configuration(for: target.environment), of: after).summary,
        ]
    }

    func setTargeting(
        _ instructions: [SemanticPatchInstruction], describe: String, before: TargetingSnapshot, target: FlagTarget,
        client: LaunchDarklyClient, context: StepContext
    ) async throws {
        guard !instructions.isEmpty else { return }
        let undo = FlipFlagUndo.restoreTargeting(RestoreRecord(project: target.project, environment: target.environment, snapshot: before))
        _ = try await context.perform("set \(input.flag) in \(target.project)/\(target.environment): \(describe)", undo: undo) {
            try await client.applySemanticPatch(
                project: target.project, flag: input.flag, environment: target.environment, instructions: instructions,
                comment: "ldedge \(context.workflowName): \(describe)")
        }
    }

    /// Applies the stages from `start`, holding between them. With `--no-wait` it applies the current
    /// stage and returns; the recorded stage and its start time let `ldedge rollout --resume` (or the next
    /// deploy) continue once the hold has passed, even after this process is gone.
    func runStages(_ stages: [Stage], from start: Int, target: FlagTarget, client: LaunchDarklyClient, context: StepContext) async throws {
        for index in stages.indices where index >= start {
            let stage = stages[index]
            let flag = try await client.flag(project: target.project, key: input.flag, environment: target.environment)
            let before = TargetingSnapshot(try flag.configuration(for: target.environment), of: flag)
            let instructions = try target.instructions(for: flag, stage: index)
            let recorded = context.recall("stage", as: StageProgress.self)
            if !instructions.isEmpty || recorded?.index != index || recorded?.digest != stagesDigest {
                try await setTargeting(
                    instructions, describe: target.summary(stage: index), before: before, target: target, client: client, context: context)
                try context.remember("stage", StageProgress(index: index, digest: stagesDigest, startedAt: Date()))
            }
            let isLast = index == stages.count - 1
            guard let hold = stage.hold.flatMap(Duration.parse), hold > 0, !isLast || input.guard != nil else { continue }
            if context.options["no-wait"] == "true" {
                let startedAt = context.recall("stage", as: StageProgress.self)?.startedAt ?? Date()
                let until = startedAt.addingTimeInterval(hold)
                context.progress("stage \(index + 1) of \(stages.count) (\(format(stage.percent))%) holds until \(ISO8601DateFormatter().string(from: until)); run 'ldedge rollout WORKFLOW --resume' to continue")
                return
            }
            try await holdStage(index, seconds: hold, context: context)
        }
        try context.remember("stage", StageProgress(index: stages.count, digest: stagesDigest, startedAt: Date()))
    }

    /// Waits out a hold (resuming a partly elapsed one), probing the guard evenly across it.
    func holdStage(_ index: Int, seconds: Double, context: StepContext) async throws {
        let progress = context.recall("stage", as: StageProgress.self)
        let elapsed = progress.map { Date().timeIntervalSince($0.startedAt) } ?? 0
        if let check = input.guard, let metricGuard = MetricGuard(check, recorded: context.workflowResources(ofType:)) {
            return try await metricGuard.hold(stage: index, seconds: seconds, elapsed: elapsed, startedAt: progress?.startedAt ?? Date(), context: context)
        }
        var remaining = max(0, seconds - elapsed)
        let probes = input.guard.map { max(1, $0.samples ?? 20) } ?? 0
        let interval = probes > 0 ? remaining / Double(probes) : remaining
        var failures = 0
        var sent = 0
        let started = Date()
        while remaining > 0 || sent < probes {
            let slice = min(interval, remaining, 5)
            if slice > 0 { try await Task.sleep(nanoseconds: UInt64(slice * 1_000_000_000)) }
            remaining -= max(slice, 0)
            try context.checkInterrupted()
            if let check = input.guard, sent < probes, remaining <= Double(probes - sent - 1) * interval + 1e-6 {
                sent += 1
                if !(await Probe.ok(check)) { failures += 1 }
                let limit = Percentage.parse(check.maxErrorRate ?? "1%") ?? 1
                let rate = Double(failures) / Double(probes) * 100
                if rate > limit {
                    throw FlipFlagError.guardFailed(url: check.url ?? "", failures: failures, samples: sent, limit: check.maxErrorRate ?? "1%")
                }
            }
            context.progress(String(format: "stage %d: holding, %.0fs of %.0fs%@", index + 1, Date().timeIntervalSince(started) + elapsed, seconds,
                input.guard == nil ? "" : ", guard \(sent - failures)/\(sent) ok"))
        }
    }

    var stagesDigest: String {
        InputDigest.of((try? JSONValue(encoding: input.stages ?? [])) ?? .null)
    }

    /// The stage a run starts from: the recorded one when resuming the same stages, else the first.
    func stageToRun(_ context: StepContext) -> Int? {
        guard let stages = input.stages, !stages.isEmpty else { return nil }
        guard let progress = context.recall("stage", as: StageProgress.self), progress.digest == stagesDigest else { return 0 }
        return min(progress.index, stages.count - 1)
    }

    func resumingStages(_ context: StepContext) -> Bool {
        guard let stages = input.stages, let progress = context.recall("stage", as: StageProgress.self) else { return false }
        return progress.digest == stagesDigest && progress.index < stages.count
    }

    // MARK: Rollback and teardown

    public func rollback(_ changes: [FlipFlagUndo], _ context: StepContext) async throws {
        let client = try LaunchDarklyAccess.client(context)
        for change in changes {
            switch change {
            case .restoreTargeting(let restore):
                try await restoreTargeting(restore.snapshot, project: restore.project, environment: restore.environment, client: client, context: context)
            case .deleteCreatedFlag(let recorded):
                let project = recorded ?? FlagTarget(self, context).project
                try await context.perform("delete flag \(project)/\(input.flag) created by this run") {
                    do { try await client.deleteFlag(project: project, key: input.flag) } catch LaunchDarklyError.notFound {}
                }
                for resource in context.ownedResources where resource.type == "launchdarkly-flag" { try context.release(resource) }
                try context.forget("original")
            }
        }
        try context.forget("stage")
    }

    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        let client = try LaunchDarklyAccess.client(context)
        for resource in state.resources where resource.type == "launchdarkly-flag" {
            let project = resource.attributes["project"] ?? FlagTarget(self, context).project
            let environment = resource.attributes["environment"] ?? FlagTarget(self, context).environment
            if resource.attributes["created"] == "true", context.options["delete-flag"] == "true" {
                try await context.perform("delete flag \(project)/\(resource.id) (created by ldedge, --delete-flag)") {
                    do { try await client.deleteFlag(project: project, key: resource.id) } catch LaunchDarklyError.notFound {}
                }
            } else if let original = state.memory["original"].flatMap({ try? $0.decode(TargetingSnapshot.self) }) {
                try await restoreTargeting(original, project: project, environment: environment, client: client, context: context)
            }
            try context.release(resource)
        }
    }

    func restoreTargeting(_ snapshot: TargetingSnapshot, project: String, environment: String, client: LaunchDarklyClient, context: StepContext) async throws {
        guard let flag = try await client.flagIfExists(project: project, key: input.flag, environment: environment) else { return }
        let current = TargetingSnapshot(try flag.configuration(for: environment), of: flag)
        guard current != snapshot else { return }
        let instructions = try snapshot.instructions(for: flag)
        try await context.perform("restore \(input.flag) in \(project)/\(environment) to: \(snapshot.summary)") {
            _ = try await client.applySemanticPatch(
                project: project, flag: input.flag, environment: environment, instructions: instructions,
                comment: "ldedge \(context.workflowName): restore")
        }
    }
}

func format(_ value: Double) -> String {
    value.rounded() == value ? String(Int(value)) : String(format: "%g", value)
}

public enum FlipFlagError: ConfigurationProblem, CustomStringConvertible {
    public var isConfigurationProblem: Bool {
        if case .noAccessToken = self { return true }
        return false
    }

    case missingFlag(project: String, flag: String)
    case guardFailed(url: String, failures: Int, samples: Int, limit: String)
    case noAccessToken

    public var description: String {
        switch self {
        case .missingFlag(let project, let flag):
            return "flag '\(flag)' does not exist in project '\(project)' and 'create' is false; create it in LaunchDarkly or set create: true"
        case .guardFailed(let url, let failures, let samples, let limit):
            return "guard failed: \(failures) of \(samples) probes of \(url) failed (more than \(limit)); the flag is being restored"
        case .noAccessToken:
            return "no LaunchDarkly access token: export LD_ACCESS_TOKEN, or set launchdarkly.accessToken: ${secret:NAME} in the workflow"
        }
    }
}
