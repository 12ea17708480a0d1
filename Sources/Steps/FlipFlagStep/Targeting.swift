import HTTPProbe
import Foundation
import LaunchDarkly
import LaunchDarklyStepSupport
import LDEdgeKit

/// The targeting of a flag in one environment, kept by value so it can be restored exactly.
struct TargetingSnapshot: Codable, Equatable, Sendable {
    struct Weighted: Codable, Equatable, Sendable {
        var value: LaunchDarkly.JSONValue
        var weight: Int
    }

    var on: Bool
    /// The off variation's value (variation ids differ between flags; values do not).
    var offValue: LaunchDarkly.JSONValue?
    var fallthroughValue: LaunchDarkly.JSONValue?
    var rollout: [Weighted]?
    var bucketBy: String?
    var contextKind: String?

    init(_ configuration: FlagEnvironmentConfiguration, of flag: FeatureFlag) {
        on = configuration.on
        offValue = configuration.offVariation.flatMap { flag.variations.indices.contains($0) ? flag.variations[$0].value : nil }
        if let rollout = configuration.fallthrough?.rollout {
            self.rollout = rollout.variations.compactMap { weighted in
                flag.variations.indices.contains(weighted.variation) ? Weighted(value: flag.variations[weighted.variation].value, weight: weighted.weight) : nil
            }
            bucketBy = rollout.bucketBy
            contextKind = rollout.contextKind
        } else if let variation = configuration.fallthrough?.variation, flag.variations.indices.contains(variation) {
            fallthroughValue = flag.variations[variation].value
        }
    }

    /// "on: rollout true 50% / false 50%" or "off (serves false)".
    var summary: String {
        var serving: String
        if let rollout {
            serving = "rollout " + rollout.sorted { "\($0.value)" > "\($1.value)" }
                .map { "\($0.value) \(format(Double($0.weight) / 1000))%" }.joined(separator: " / ")
        } else if let value = fallthroughValue {
            serving = "serve \(value)"
        } else {
            serving = "no default rule"
        }
        let off = offValue.map { "\($0)" } ?? "nothing"
        return on ? "on: \(serving) (off serves \(off))" : "off: serves \(off) (when on: \(serving))"
    }

    /// The semantic patch that puts `flag` back into this state.
    func instructions(for flag: FeatureFlag) throws -> [SemanticPatchInstruction] {
        var instructions: [SemanticPatchInstruction] = [on ? .turnFlagOn : .turnFlagOff]
        if let offValue { instructions.append(.updateOffVariation(variationID: try flag.variationID(for: offValue))) }
        if let rollout {
            var weights: [String: Int] = [:]
            for weighted in rollout { weights[try flag.variationID(for: weighted.value), default: 0] += weighted.weight }
            instructions.append(.updateFallthroughRollout(try RolloutWeights(weights: weights), bucketBy: bucketBy, contextKind: contextKind))
        } else if let fallthroughValue {
            instructions.append(.updateFallthroughVariation(variationID: try flag.variationID(for: fallthroughValue)))
        }
        return instructions
    }
}

/// What rollback needs to restore one change.
/// What a flip-flag step undoes.
public enum FlipFlagUndo: StepUndo {
    /// Put the flag's targeting in one environment back as it was.
    case restoreTargeting(RestoreRecord)
    /// Delete the flag this run created (in `project`).
    case deleteCreatedFlag(project: String?)

    public static let legacyActions: [String: @Sendable (UndoRecord) throws -> FlipFlagUndo] = [
        "restore-targeting": { .restoreTargeting(try $0.payload(RestoreRecord.self)) },
        "delete-created-flag": { .deleteCreatedFlag(project: $0.data["project"]?.stringValue) },
    ]
}

public struct RestoreRecord: Codable, Sendable {
    var project: String
    var environment: String
    var snapshot: TargetingSnapshot
}

/// How far a staged rollout got; survives the process so `ldedge rollout --resume` continues.
struct StageProgress: Codable {
    var index: Int
    var digest: String
    var startedAt: Date
}

/// The targeting a flip-flag step asks for, resolved against workflow settings.
struct FlagTarget {
    let step: FlipFlagStep
    let project: String
    let environment: String

    init(_ step: FlipFlagStep, _ context: StepContext) {
        self.step = step
        project = step.input.project ?? context.settings.launchdarkly?.project ?? context.environment["LD_PROJECT"] ?? "default"
        environment = step.input.environment ?? context.settings.launchdarkly?.environment ?? context.environment["LD_ENVIRONMENT"] ?? "production"
    }

    var input: FlipFlagStep.Input { step.input }

    /// Percentages for true/false at a stage (or from `rollout`), nil when serving one variation.
    func percentages(stage: Int?) -> [Bool: Double]? {
        if let stage, let stages = input.stages, stages.indices.contains(stage) {
            let percent = stages[stage].percent
            return [true: percent, false: 100 - percent]
        }
        guard let rollout = input.rollout else { return nil }
        var result: [Bool: Double] = [:]
        for (key, value) in rollout { result[key == "true"] = value }
        for value in [true, false] where result[value] == nil { result[value] = 0 }
        return result
    }

    func summary(stage: Int?) -> String {
        let on = input.on ?? true
        var serving = "unchanged default rule"
        if let percentages = percentages(stage: stage) {
            serving = "rollout true \(format(percentages[true] ?? 0))% / false \(format(percentages[false] ?? 0))%"
        } else if let serve = input.serve {
            serving = "serve \(serve)"
        }
        let off = input.offVariation.map { "\($0)" } ?? "unchanged"
        return on ? "on: \(serving) (off serves \(off))" : "off: serves \(off) (when on: \(serving))"
    }

    /// The semantic patch instructions that are still needed; empty when the flag already matches.
    func instructions(for flag: FeatureFlag, stage: Int?) throws -> [SemanticPatchInstruction] {
        let configuration = try flag.configuration(for: environment)
        let current = TargetingSnapshot(configuration, of: flag)
        var instructions: [SemanticPatchInstruction] = []
        let on = input.on ?? true
        if on != configuration.on { instructions.append(on ? .turnFlagOn : .turnFlagOff) }
        if let offValue = input.offVariation, current.offValue != .bool(offValue) {
            instructions.append(.updateOffVariation(variationID: try flag.variationID(for: .bool(offValue))))
        }
        let bucketBy = input.bucketBy ?? "key"
        let contextKind = input.contextKind ?? "user"
        if let percentages = percentages(stage: stage) {
            let weights = try RolloutWeights(percentages: percentages, of: flag)
            let wanted = flag.variations.compactMap { variation -> TargetingSnapshot.Weighted? in
                guard let id = variation.id else { return nil }
                return TargetingSnapshot.Weighted(value: variation.value, weight: weights.weights[id] ?? 0)
            }
            let same = current.rollout.map { Set($0.map { "\($0.value)=\($0.weight)" }) == Set(wanted.map { "\($0.value)=\($0.weight)" }) } ?? false
            if !same || (current.bucketBy ?? "key") != bucketBy || (current.contextKind ?? "user") != contextKind {
                instructions.append(.updateFallthroughRollout(weights, bucketBy: bucketBy, contextKind: contextKind))
            }
        } else if let serve = input.serve, current.fallthroughValue != .bool(serve) || current.rollout != nil {
            instructions.append(.updateFallthroughVariation(variationID: try flag.variationID(for: .bool(serve))))
        }
        return instructions
    }
}

/// The run's shared LaunchDarkly client (LaunchDarklyStepSupport), with this step's error.
enum LaunchDarklyAccess {
    static func client(_ context: StepContext) throws -> LaunchDarklyClient {
        do {
            return try context.launchDarklyClient()
        } catch LaunchDarklyError.missingAccessToken {
            throw FlipFlagError.noAccessToken
        }
    }
}

/// Durations like 30s, 10m, 1h, 1h30m.
enum Duration {
    static func parse(_ text: String) -> Double? {
        let pattern = "^([0-9]+(?:\\.[0-9]+)?(ms|s|m|h))+$"
        guard text.range(of: pattern, options: .regularExpression) != nil else { return nil }
        var total = 0.0
        var number = ""
        var unit = ""
        func flush() -> Bool {
            guard let value = Double(number) else { return false }
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return false
            }
            number = ""
            unit = ""
            return true
        }
        for character in text {
            if character.isNumber || character == "." {
                if !unit.isEmpty, !flush() { return nil }
                number.append(character)
            } else {
                unit.append(character)
            }
        }
        return flush() ? total : nil
    }
}

/// "1%" or "0.5" (as a percentage).
enum Percentage {
    static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.hasSuffix("%") ? String(trimmed.dropLast()) : trimmed
        guard let value = Double(number), value >= 0, value <= 100 else { return nil }
        return value
    }
}

/// "200-399" or "200".
struct StatusRange {
    let range: ClosedRange<Int>

    init?(_ text: String) {
        let parts = text.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 1, let single = parts[0] { range = single...single; return }
        guard parts.count == 2, let low = parts[0], let high = parts[1], low <= high else { return nil }
        range = low...high
    }
}

/// One guard probe: an HTTP GET whose status must fall in the expected range.
enum Probe {
    static func ok(_ check: FlipFlagStep.Guard) async -> Bool {
        let range = StatusRange(check.expectStatus ?? "200-399")?.range ?? 200...399
        guard let status = await HTTPProbe.status(get: check.url ?? "", timeout: 5) else { return false }
        return range.contains(status)
    }
}
