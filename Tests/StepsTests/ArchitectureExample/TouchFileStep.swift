import Foundation
import LDEdgeKit

/// Writes a file with the given text.
///
/// Dry run: says whether the file would be created or rewritten.
///
/// Rollback: puts back the text the run replaced, or removes the file the run created.
///
/// Teardown: removes the file.
public struct TouchFileStep: Step {
    public struct Input: Decodable, Sendable {
        public var path: String
        public var text: String?
    }

    /// What this kind undoes; journaled with each change and handed back to `rollback`.
    public enum Undo: StepUndo {
        /// Put the file's previous text back (nil: the file did not exist).
        case restore(path: String, previous: String?)
    }

    public static let kind = "touch-file"
    public static let summary = "Write a file with the given text"
    public static let inputs: [InputField] = [
        InputField("path", .string, required: true, "file to write, relative to the workflow file"),
        InputField("text", .string, "its content"),
    ]
    public static let outputs: [OutputField] = [OutputField("path", "absolute path of the file")]

    public let id: String
    public let input: Input

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    public func plan(_ context: StepContext) async throws -> StepPlan {
        let url = context.resolvePath(input.path)
        let current = try? String(contentsOf: url, encoding: .utf8)
        let action: ChangeAction = current == nil ? .create : (current == (input.text ?? "") ? .none : .update)
        return StepPlan(changes: [PlannedChange(action, url.path)], outputs: ["path": url.path])
    }

    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let url = context.resolvePath(input.path)
        let before = try? String(contentsOf: url, encoding: .utf8)
        try await context.perform("write \(url.path)", undo: Undo.restore(path: url.path, previous: before)) {
            try (input.text ?? "").write(to: url, atomically: true, encoding: .utf8)
        }
        if before == nil { try context.own(Resource(type: "file", id: url.path)) }
        return ["path": url.path]
    }

    public func rollback(_ changes: [Undo], _ context: StepContext) async throws {
        for change in changes {
            switch change {
            case .restore(let path, let previous):
                try await context.perform("put back \(path)") {
                    if let previous {
                        try previous.write(toFile: path, atomically: true, encoding: .utf8)
                    } else {
                        try? FileManager.default.removeItem(atPath: path)
                    }
                }
                for resource in context.ownedResources where resource.id == path && previous == nil { try context.release(resource) }
            }
        }
    }

    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        for resource in state.resources where resource.type == "file" {
            try await context.perform("remove \(resource.id)") { try? FileManager.default.removeItem(atPath: resource.id) }
            try context.release(resource)
        }
    }
}
