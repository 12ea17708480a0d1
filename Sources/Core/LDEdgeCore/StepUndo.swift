import Foundation

/// What a step kind can undo: its own `Codable` type, usually an enum with one case per kind of
/// change it makes (`case deleteRole(name: String)`).
///
/// A step passes a value with each change (`context.perform("create role X", undo: .deleteRole(name: "X"))`);
/// the engine journals it with the change's intent, as JSON it never looks into, and hands the
/// values back to `Step.rollback`, newest first, which switches over them. A misspelt case does
/// not compile.
public protocol StepUndo: Codable, Sendable {
    /// How undo records written before undo was typed (`{"action", "resource", "data"}` in
    /// journals and states of ldedge 0.1) read as this type, by their `action`. Actions missing
    /// here are skipped by rollback, as those releases did with actions they did not know.
    static var legacyActions: [String: @Sendable (UndoRecord) throws -> Self] { get }
}

extension StepUndo {
    public static var legacyActions: [String: @Sendable (UndoRecord) throws -> Self] { [:] }

    /// Reads a journaled undo value: this type's own JSON, or a record of the untyped form.
    /// Nil for an untyped record whose action this type does not know.
    static func journaled(_ value: JSONValue) throws -> Self? {
        if let typed = try? value.decode(Self.self) { return typed }
        if let record = try? value.decode(UndoRecord.self) {
            guard let read = legacyActions[record.action] else { return nil }
            return try read(record)
        }
        throw UndoDecodingFailure(type: String(describing: Self.self), value: value)
    }
}

/// The untyped undo record: an action name, the resource and data. It is what external plugins
/// send (`journal.intent`) and get back (`rollback`), and the form undo records took in journals
/// written before undo was typed.
public struct UndoRecord: StepUndo, Hashable {
    public var action: String
    public var resource: String
    public var data: JSONValue

    public init(_ action: String, resource: String, data: JSONValue = .null) {
        self.action = action
        self.resource = resource
        self.data = data
    }

    enum CodingKeys: String, CodingKey { case action, resource, data }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        action = try container.decode(String.self, forKey: .action)
        resource = try container.decodeIfPresent(String.self, forKey: .resource) ?? ""
        data = try container.decodeIfPresent(JSONValue.self, forKey: .data) ?? .null
    }

    public func payload<T: Decodable>(_ type: T.Type) throws -> T { try data.decode(type) }
}

/// For kinds that change nothing outside their own work folder: there is nothing to undo.
public enum NothingToUndo: StepUndo {
    public init(from decoder: Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "this step kind journals nothing to undo"))
    }

    public func encode(to encoder: Encoder) throws {}
}

/// One journaled change to undo, and whether it is known to have happened.
public struct UndoChange<Undo: StepUndo>: Sendable {
    public var undo: Undo
    /// True when the change's call did not report success: it may or may not have happened.
    public var uncertain: Bool

    public init(undo: Undo, uncertain: Bool) {
        self.undo = undo
        self.uncertain = uncertain
    }
}

/// A journaled undo value does not read as its step kind's undo type: the journal was written by
/// another version of ldedge, or is damaged.
public struct UndoDecodingFailure: Error, CustomStringConvertible, Sendable {
    public var type: String
    public var value: JSONValue

    public var description: String {
        let text = (try? String(decoding: JSONEncoder.canonical.encode(value), as: UTF8.self)) ?? "?"
        return "a journaled undo record (\(text.prefix(200))) is not a \(type): it was written by another ldedge version; run the command with the version that wrote it"
    }
}

extension Step {
    /// Rolls back journaled changes (newest first): reads each as this kind's `Undo` and calls
    /// `rollback(changes:)`. Used by the engine, which never looks into undo values.
    func rollback(journaled: [JournaledUndo], _ context: StepContext) async throws {
        var changes: [UndoChange<Undo>] = []
        for entry in journaled {
            guard let undo = try Undo.journaled(entry.undo) else { continue }
            changes.append(UndoChange(undo: undo, uncertain: entry.uncertain))
        }
        try await rollback(changes: changes, context)
    }
}

extension Step where Undo == NothingToUndo {
    public func rollback(_ changes: [NothingToUndo], _ context: StepContext) async throws {}
}
