import Foundation

/// A semantic patch instruction for a flag in one environment. A patch applies all its instructions or none.
public enum SemanticPatchInstruction: Sendable, Equatable, Encodable {
    case turnFlagOn
    case turnFlagOff
    /// Serve this variation (`_id`) when the flag is off.
    case updateOffVariation(variationID: String)
    /// Serve one variation (`_id`) by default when on.
    case updateFallthroughVariation(variationID: String)
    /// Serve a percentage rollout by default when on.
    case updateFallthroughRollout(RolloutWeights, bucketBy: String? = nil, contextKind: String? = nil)

    /// The `kind` sent to LaunchDarkly.
    public var kind: String {
        switch self {
        case .turnFlagOn: return "turnFlagOn"
        case .turnFlagOff: return "turnFlagOff"
        case .updateOffVariation: return "updateOffVariation"
        case .updateFallthroughVariation, .updateFallthroughRollout: return "updateFallthroughVariationOrRollout"
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind, variationId, rolloutWeights, rolloutBucketBy, rolloutContextKind
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .turnFlagOn, .turnFlagOff:
            break
        case .updateOffVariation(let id), .updateFallthroughVariation(let id):
            try c.encode(id, forKey: .variationId)
        case .updateFallthroughRollout(let weights, let bucketBy, let contextKind):
            try c.encode(weights.weights, forKey: .rolloutWeights)
            try c.encodeIfPresent(bucketBy, forKey: .rolloutBucketBy)
            try c.encodeIfPresent(contextKind, forKey: .rolloutContextKind)
        }
    }

    /// The instructions that put `flag`'s configuration in `environment` back to `configuration`
    /// (on/off, off variation, fallthrough): what a rollback sends.
    public static func restoring(
        _ configuration: FlagEnvironmentConfiguration, of flag: FeatureFlag
    ) throws -> [SemanticPatchInstruction] {
        var instructions: [SemanticPatchInstruction] = [configuration.on ? .turnFlagOn : .turnFlagOff]
        if let off = configuration.offVariation {
            instructions.append(.updateOffVariation(variationID: try flag.variationID(at: off)))
        }
        if let defaultRule = configuration.fallthrough {
            if let rollout = defaultRule.rollout {
                var weights: [String: Int] = [:]
                for weighted in rollout.variations {
                    weights[try flag.variationID(at: weighted.variation), default: 0] += weighted.weight
                }
                instructions.append(.updateFallthroughRollout(
                    try RolloutWeights(weights: weights), bucketBy: rollout.bucketBy, contextKind: rollout.contextKind))
            } else if let variation = defaultRule.variation {
                instructions.append(.updateFallthroughVariation(variationID: try flag.variationID(at: variation)))
            }
        }
        return instructions
    }
}

/// The body of a semantic patch request.
struct SemanticPatchBody: Encodable {
    var environmentKey: String
    var instructions: [SemanticPatchInstruction]
    var comment: String?
}

/// The body of a create-flag request (`FeatureFlagBody` in the spec).
struct BooleanFlagBody: Encodable {
    struct VariationBody: Encodable {
        var value: Bool
        var name: String
    }
    struct Defaults: Encodable {
        var onVariation: Int
        var offVariation: Int
    }
    struct ClientSideAvailability: Encodable {
        var usingEnvironmentId: Bool
        var usingMobileKey: Bool
    }
    var key: String
    var name: String
    var description: String?
    var variations: [VariationBody]
    var defaults: Defaults
    var clientSideAvailability: ClientSideAvailability
    var temporary: Bool
    var tags: [String]
}
