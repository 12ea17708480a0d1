import LaunchDarkly

/// Applies semantic patch instructions to a copy of a flag: all succeed or the original is kept.
enum SemanticPatch {
    struct Failure: Error {
        var message: String
    }

    static func apply(_ instructions: [JSONValue], environment: String?, to flag: SandboxFlag, now: Int64) throws -> SandboxFlag {
        var flag = flag
        guard !instructions.isEmpty else { throw Failure(message: "instructions must not be empty") }
        for instruction in instructions {
            guard let kind = instruction["kind"]?.stringValue else { throw Failure(message: "each instruction needs a 'kind'") }
            switch kind {
            case "updateName":
                guard let value = instruction["value"]?.stringValue else { throw Failure(message: "updateName needs a string 'value'") }
                flag.name = value
                continue
            case "updateDescription":
                guard let value = instruction["value"]?.stringValue else { throw Failure(message: "updateDescription needs a string 'value'") }
                flag.description = value
                continue
            default:
                break
            }
            guard let environment else { throw Failure(message: "\(kind) requires environmentKey") }
            guard var config = flag.environments[environment] else { throw Failure(message: "unknown environment '\(environment)'") }
            switch kind {
            case "turnFlagOn":
                config.on = true
            case "turnFlagOff":
                config.on = false
            case "updateOffVariation":
                config.offVariation = try variationIndex(instruction["variationId"], of: flag, kind: kind)
            case "updateFallthroughVariationOrRollout":
                config.fallthrough = try defaultRule(instruction, of: flag)
            default:
                throw Failure(message: "unsupported instruction kind '\(kind)'")
            }
            config.lastModified = now
            flag.environments[environment] = config
        }
        return flag
    }

    private static func variationIndex(_ id: JSONValue?, of flag: SandboxFlag, kind: String) throws -> Int {
        guard let id = id?.stringValue else { throw Failure(message: "\(kind) needs a string 'variationId'") }
        guard let index = flag.variations.firstIndex(where: { $0.id == id }) else {
            throw Failure(message: "variation '\(id)' does not exist on flag '\(flag.key)'")
        }
        return index
    }

    private static func defaultRule(_ instruction: JSONValue, of flag: SandboxFlag) throws -> VariationOrRollout {
        let kind = "updateFallthroughVariationOrRollout"
        if let weights = instruction["rolloutWeights"] {
            guard instruction["variationId"] == nil else { throw Failure(message: "\(kind): give variationId or rolloutWeights, not both") }
            guard let members = weights.objectValue, !members.isEmpty else { throw Failure(message: "rolloutWeights must be a non-empty object") }
            var byIndex = [Int](repeating: 0, count: flag.variations.count)
            for (id, weight) in members {
                let index = try variationIndex(.string(id), of: flag, kind: kind)
                guard let value = weight.intValue, (0...100_000).contains(value) else {
                    throw Failure(message: "weight for '\(id)' must be an integer in 0...100000")
                }
                byIndex[index] = value
            }
            let sum = byIndex.reduce(0, +)
            guard sum == 100_000 else { throw Failure(message: "rolloutWeights sum to \(sum), they must sum to 100000") }
            let bucketBy = instruction["rolloutBucketBy"]?.stringValue
            let contextKind = instruction["rolloutContextKind"]?.stringValue ?? "user"
            return VariationOrRollout(rollout: Rollout(
                variations: byIndex.enumerated().map { WeightedVariation(variation: $0.offset, weight: $0.element) },
                bucketBy: bucketBy ?? "key", contextKind: contextKind))
        }
        return VariationOrRollout(variation: try variationIndex(instruction["variationId"], of: flag, kind: kind))
    }
}
