import Foundation

extension FlagEnvironmentConfiguration {
    /// What the flag serves in this environment, in the words flip-flag records as its `targeting` output:
    /// "on: rollout true 50% / false 50% (off serves false)" or "off: serves false (when on: serve true)".
    public func targetingSummary(of flag: FeatureFlag) -> String {
        func value(_ index: Int) -> JSONValue? { flag.variations.indices.contains(index) ? flag.variations[index].value : nil }
        func percent(_ weight: Int) -> String {
            let value = Double(weight) / 1000
            return value.rounded() == value && abs(value) < 1e12 ? String(Int(value)) : String(format: "%g", value)
        }
        var serving: String
        if let rollout = self.fallthrough?.rollout {
            let parts = rollout.variations.compactMap { weighted in value(weighted.variation).map { ($0, weighted.weight) } }
            serving = "rollout " + parts.sorted { "\($0.0)" > "\($1.0)" }.map { "\($0.0) \(percent($0.1))%" }.joined(separator: " / ")
        } else if let index = self.fallthrough?.variation, let served = value(index) {
            serving = "serve \(served)"
        } else {
            serving = "no default rule"
        }
        let off = offVariation.flatMap(value).map { "\($0)" } ?? "nothing"
        return on ? "on: \(serving) (off serves \(off))" : "off: serves \(off) (when on: \(serving))"
    }
}
