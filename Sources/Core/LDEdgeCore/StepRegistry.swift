import Foundation

/// The step kinds a workflow may use, by `uses:` name, and the resolvers for other `uses:` values.
public struct StepRegistry: Sendable {
    public private(set) var kinds: [String: StepKind] = [:]
    public private(set) var resolvers: [any StepKindResolver] = []

    public init(_ kinds: [StepKind] = [], resolvers: [any StepKindResolver] = []) {
        for kind in kinds { register(kind) }
        self.resolvers = resolvers
    }

    public mutating func register(_ kind: StepKind) {
        kinds[kind.kind] = kind
    }

    public mutating func register(resolver: any StepKindResolver) {
        resolvers.append(resolver)
    }

    public subscript(kind: String) -> StepKind? { kinds[kind] }

    /// A registered kind, or the first resolver's answer; nil when nothing knows `uses`.
    public func resolve(_ uses: String, in context: StepResolutionContext) throws -> StepKind? {
        if let kind = kinds[uses] { return kind }
        for resolver in resolvers {
            if let kind = try resolver.resolve(uses, in: context) { return kind }
        }
        return nil
    }

    /// Lets every resolver prepare the `uses:` values that name no registered kind (see
    /// `StepKindResolver.prepare`).
    public func prepare(_ uses: [String], in context: StepResolutionContext) async {
        for value in Set(uses) where kinds[value] == nil {
            for resolver in resolvers { await resolver.prepare(value, in: context) }
        }
    }

    public var sorted: [StepKind] { kinds.values.sorted { $0.kind < $1.kind } }
}
