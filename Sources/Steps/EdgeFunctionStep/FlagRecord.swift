import Foundation
import LDEdgeKit

/// The compact per-flag record the CloudFront Function evaluates (at most 1 KB: one KeyValueStore
/// value), made from the flag in the SDK representation (`/sdk/latest-all`, the stream's `put` and
/// `patch`), with exactly what LaunchDarkly's evaluation of such a flag needs:
///
/// `{"v": version, "on": bool, "off": index|null, "vals": [values], "fall": index}` or, for a
/// percentage rollout, `"r": {"salt", "seed"?, "kind"?, "w": [[variation, weight], ...]}` instead of `"fall"`.
public enum FlagRecord {
    public static let maxBytes = 1024

    /// Why the record cannot express this flag's targeting (empty: it can).
    public static func unsupported(_ flag: JSONValue) -> [String] {
        var reasons: [String] = []
        func nonEmpty(_ key: String) -> Bool { !(flag[key]?.arrayValue?.isEmpty ?? true) }
        if nonEmpty("rules") { reasons.append("targeting rules") }
        if nonEmpty("targets") || nonEmpty("contextTargets") { reasons.append("individual targets") }
        if nonEmpty("prerequisites") { reasons.append("prerequisites") }
        if flag["on"]?.boolValue == true {
            let fallRule = flag["fallthrough"]
            if fallRule?["variation"]?.intValue == nil {
                if let rollout = fallRule?["rollout"], let weights = rollout["variations"]?.arrayValue, !weights.isEmpty {
                    let bucketBy = rollout["bucketBy"]?.stringValue
                    let experiment = rollout["kind"]?.stringValue == "experiment"
                    if !experiment, let bucketBy, bucketBy != "key", bucketBy != "/key" {
                        reasons.append("a rollout bucketed by '\(bucketBy)' (the function buckets by the context key)")
                    }
                    if weights.contains(where: { $0["variation"]?.intValue == nil || $0["weight"]?.intValue == nil }) {
                        reasons.append("a rollout without variation indices and weights")
                    }
                } else {
                    reasons.append("a fallthrough with neither a variation nor a rollout")
                }
            }
        }
        return reasons
    }

    /// The record's JSON text; throws when the targeting cannot be expressed or the record exceeds 1 KB.
    public static func make(_ flag: JSONValue, key: String) throws -> String {
        let reasons = unsupported(flag)
        guard reasons.isEmpty else { throw EdgeFunctionError.unsupportedTargeting(flag: key, reasons: reasons) }
        var parts: [String] = []
        parts.append("\"v\":\(flag["version"]?.intValue ?? 0)")
        parts.append("\"on\":\(flag["on"]?.boolValue == true)")
        parts.append("\"off\":" + (flag["offVariation"]?.intValue.map(String.init) ?? "null"))
        parts.append("\"vals\":" + (try encode(flag["variations"] ?? .array([]))))
        let fallRule = flag["fallthrough"]
        if let variation = fallRule?["variation"]?.intValue {
            parts.append("\"fall\":\(variation)")
        } else if let rollout = fallRule?["rollout"] {
            var r: [String] = ["\"salt\":" + (try encode(.string(flag["salt"]?.stringValue ?? "")))]
            if let seed = rollout["seed"]?.intValue { r.append("\"seed\":\(seed)") }
            if let kind = rollout["contextKind"]?.stringValue, !kind.isEmpty { r.append("\"kind\":" + (try encode(.string(kind)))) }
            let weights = (rollout["variations"]?.arrayValue ?? []).map { "[\($0["variation"]?.intValue ?? 0),\($0["weight"]?.intValue ?? 0)]" }
            r.append("\"w\":[\(weights.joined(separator: ","))]")
            parts.append("\"r\":{\(r.joined(separator: ","))}")
        }
        let record = "{\(parts.joined(separator: ","))}"
        guard record.utf8.count <= maxBytes else { throw EdgeFunctionError.recordTooLarge(flag: key, bytes: record.utf8.count) }
        return record
    }

    /// A short human summary of a record ("on, rollout 50/50 (v7)").
    public static func summary(_ record: String?) -> String {
        guard let record, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(record.utf8)) else { return "(none)" }
        let version = value["v"]?.intValue.map { " (v\($0))" } ?? ""
        guard value["on"]?.boolValue == true else {
            return "off, serving \(value["off"]?.intValue.flatMap { value["vals"]?.arrayValue?[safe: $0] }.map { "\($0)" } ?? "the default")\(version)"
        }
        if let fall = value["fall"]?.intValue {
            return "on, serving \(value["vals"]?.arrayValue?[safe: fall].map { "\($0)" } ?? "variation \(fall)")\(version)"
        }
        let weights = (value["r"]?["w"]?.arrayValue ?? []).compactMap { pair -> String? in
            guard let items = pair.arrayValue, items.count == 2, let variation = items[0].intValue, let weight = items[1].intValue else { return nil }
            let label = value["vals"]?.arrayValue?[safe: variation].map { "\($0)" } ?? "#\(variation)"
            return "\(label) \(Double(weight) / 1000)%"
        }
        return "on, rollout \(weights.joined(separator: " / "))\(version)"
    }

    static func encode(_ value: JSONValue) throws -> String {
        String(decoding: try JSONEncoder.canonical.encode(value), as: UTF8.self)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
