import LDEdgeKit

/// `ldedge rollout` drives flip-flag steps: a percentage or one variation replaces the staged,
/// guarded or fixed targeting in `with:`; `--resume` keeps the stages and continues them.
extension FlipFlagStep: RolloutStep {
    public static func rolloutInput(_ input: [String: JSONValue], for change: RolloutChange) throws -> [String: JSONValue] {
        var input = input
        switch change {
        case .percent(let percent):
            input["stages"] = nil
            input["serve"] = nil
            input["guard"] = nil
            input["rollout"] = .object(["true": .number(percent), "false": .number(100 - percent)])
            input["on"] = .bool(true)
        case .serve(let value):
            input["stages"] = nil
            input["rollout"] = nil
            input["guard"] = nil
            input["serve"] = .bool(value)
            input["on"] = .bool(true)
        case .resume:
            guard input["stages"] != nil else { throw RolloutError("has no 'stages' to resume; use --percent or --serve") }
        }
        return input
    }
}
