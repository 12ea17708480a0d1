import Crypto
import Foundation
import LDEdgeKit
import LaunchDarkly


/// The flag as LaunchDarkly serves it to SDKs when the handler is built, baked into the package as
/// `ldedge_snapshot.json` so a container that cannot reach LaunchDarkly within `initTimeout` keeps
/// every visitor on the variation the rollout gives them.
///
/// It holds the flag's SDK representation (salt, version, variation indices), its prerequisites
/// (transitively) and the segments their rules use (transitively), `{"flags": ..., "segments": ...}`
/// with sorted keys and without the items' `version` counters: the same targeting always gives the
/// same bytes, so the package (and the Lambda version) changes exactly when the targeting does, not
/// when a rollout went to 100% and back. The version is kept beside it for plans and logs.
struct HandlerSnapshot: Equatable {
    static let fileName = "ldedge_snapshot.json"

    var data: Data
    var flagVersion: Int?
    var flagCount: Int
    var segmentCount: Int

    /// A short digest of the content, remembered to know when the snapshot was first taken.
    var digest: String {
        SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The snapshot of `flag` from a `/sdk/latest-all` payload; nil when the flag is not in it.
    static func extract(flag: String, from payload: Data) throws -> HandlerSnapshot? {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: payload)
        } catch {
            throw BuildHandlerError.snapshotUnreadable("the SDK endpoint's answer is not JSON: \(error)")
        }
        guard case .object(let allFlags)? = root["flags"] else {
            throw BuildHandlerError.snapshotUnreadable("the SDK endpoint's answer has no 'flags' object")
        }
        let allSegments: [String: JSONValue]
        if case .object(let segments)? = root["segments"] { allSegments = segments } else { allSegments = [:] }
        guard allFlags[flag] != nil else { return nil }

        var flags: [String: JSONValue] = [:]
        var pending = [flag]
        var segmentKeys: [String] = []
        while let key = pending.popLast() {
            guard flags[key] == nil, let value = allFlags[key] else { continue }
            flags[key] = Self.withoutVersion(value)
            if case .array(let prerequisites)? = value["prerequisites"] {
                pending += prerequisites.compactMap { $0["key"]?.stringValue }
            }
            segmentKeys += segmentReferences(value)
        }
        var segments: [String: JSONValue] = [:]
        while let key = segmentKeys.popLast() {
            guard segments[key] == nil, let value = allSegments[key] else { continue }
            segments[key] = Self.withoutVersion(value)
            segmentKeys += segmentReferences(value)
        }
        let document = JSONValue.object(["flags": .object(flags), "segments": .object(segments)])
        let data = try JSONEncoder.canonical.encode(document)
        var version: Int?
        if case .number(let number)? = allFlags[flag]?["version"] { version = Int(number) }
        return HandlerSnapshot(data: data, flagVersion: version, flagCount: flags.count, segmentCount: segments.count)
    }

    static func withoutVersion(_ item: JSONValue) -> JSONValue {
        guard case .object(var fields) = item else { return item }
        fields["version"] = nil
        return .object(fields)
    }

    /// Segment keys named by `segmentMatch` clauses in a flag's or segment's rules.
    static func segmentReferences(_ item: JSONValue) -> [String] {
        guard case .array(let rules)? = item["rules"] else { return [] }
        var keys: [String] = []
        for rule in rules {
            guard case .array(let clauses)? = rule["clauses"] else { continue }
            for clause in clauses where clause["op"]?.stringValue == "segmentMatch" {
                if case .array(let values)? = clause["values"] { keys += values.compactMap(\.stringValue) }
            }
        }
        return keys
    }
}

/// What the build found when it looked for the snapshot.
enum SnapshotOutcome {
    case taken(HandlerSnapshot)
    /// Nothing baked in, with the reason (fallback default, flag missing, LaunchDarkly unreachable).
    case none(String)
    /// In a plan: the flag does not exist yet, and a step this one depends on runs first.
    case later(after: String)

    var snapshot: HandlerSnapshot? {
        if case .taken(let snapshot) = self { return snapshot }
        return nil
    }
}

extension BuildHandlerStep {
    /// Reads the snapshot from LaunchDarkly's SDK endpoint (the sandbox's locally) with the SDK key.
    func takeSnapshot(sdkKey: String, context: StepContext) async -> SnapshotOutcome {
        guard runtime.isPython else { return .none("the Node.js handler has no snapshot fallback") }
        guard (input.fallback ?? .snapshot) == .snapshot else { return .none("fallback: default") }
        let base = SDKEndpoints.launchDarkly(input, settings: context.settings, environment: context.environment).base
        do {
            let payload = try await SDKDataClient(baseURI: base, sdkKey: sdkKey, timeout: 5).latestAll()
            guard let snapshot = try HandlerSnapshot.extract(flag: input.flag, from: payload) else {
                // At apply the steps this one depends on have run: a flag they create exists by then.
                if let step = context.upcomingDependencies.last { return .later(after: step) }
                return .none("flag \(input.flag) does not exist in LaunchDarkly yet; create it first, for example with a flip-flag step that this step 'needs:' (docs/handler.md)")
            }
            return .taken(snapshot)
        } catch {
            return .none("cannot read the flag from \(base): \(Secrets.shared.redact("\(error)"))")
        }
    }

    /// `version 7, taken 3 min ago` for plans; the age is how long LaunchDarkly has served this
    /// exact flag state to the build, remembered from the build that first baked it.
    func describe(_ outcome: SnapshotOutcome, context: StepContext, now: Date = Date()) -> String {
        guard let snapshot = outcome.snapshot else {
            if case .none(let reason) = outcome { return "no snapshot (\(reason))" }
            if case .later(let step) = outcome { return "snapshot of flag \(input.flag) taken after step \(step) (the flag does not exist in LaunchDarkly yet)" }
            return "no snapshot"
        }
        let version = snapshot.flagVersion.map { "version \($0)" } ?? "no version"
        let extras = snapshot.flagCount > 1 || snapshot.segmentCount > 0
            ? ", with \(snapshot.flagCount - 1) prerequisite(s) and \(snapshot.segmentCount) segment(s)" : ""
        guard context.recall("snapshot", as: String.self) == snapshot.digest,
              let taken = context.recall("snapshotTakenAt", as: Date.self) else {
            let previous = context.recall("snapshotVersion", as: Int.self).map { " (was version \($0))" } ?? ""
            return "snapshot of flag \(input.flag) \(version)\(extras), taken now\(previous)"
        }
        return "snapshot of flag \(input.flag) \(version)\(extras), taken \(Self.age(now.timeIntervalSince(taken))) ago"
    }

    /// Remembers when this snapshot content was first baked, so plans can show its age.
    func rememberSnapshot(_ outcome: SnapshotOutcome, context: StepContext) throws {
        guard let snapshot = outcome.snapshot else {
            for key in ["snapshot", "snapshotTakenAt", "snapshotVersion"] { try context.forget(key) }
            return
        }
        if context.recall("snapshot", as: String.self) != snapshot.digest {
            try context.remember("snapshot", snapshot.digest)
            try context.remember("snapshotTakenAt", Date())
        }
        if let version = snapshot.flagVersion { try context.remember("snapshotVersion", version) }
    }

    static func age(_ seconds: TimeInterval) -> String {
        switch seconds {
        case ..<90: return "\(max(0, Int(seconds))) s"
        case ..<5400: return "\(Int(seconds / 60)) min"
        case ..<172_800: return "\(Int(seconds / 3600)) h"
        default: return "\(Int(seconds / 86400)) d"
        }
    }
}
