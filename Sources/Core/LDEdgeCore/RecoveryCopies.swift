import Foundation

/// One recovery copy: bytes a later run may need to undo a change (an object as it was before
/// ldedge overwrote or deleted it, the code a function ran before), kept by the state backend.
///
/// Copies live where the state lives, so a run on another machine can undo what a dead run did:
/// `.ldedge/WORKFLOW/work/STEP/backups/NAME` locally, `PREFIX/WORKFLOW/copies/STEP/NAME` in S3
/// (encrypted like the journal). A step names a copy by its content (a digest), writes it before
/// the change it protects, and references the name from the undo record or memory it journals;
/// the engine removes copies nothing in the state references after a successful run, and all of
/// them once the workflow is torn down.
public struct RecoveryCopy: Hashable, Sendable, Codable {
    public var step: String
    public var name: String

    public init(step: String, name: String) {
        self.step = step
        self.name = name
    }

    /// True for a name a backend can store as one object or file: no path separators, no dot files.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && name.count <= 200
    }
}

/// Removes the copies nothing in the state refers to any more.
enum RecoveryCopyCollector {
    /// The copies of `all` that no step of `state` mentions by name (in its undo records or memory).
    static func unreferenced(_ all: [RecoveryCopy], in state: WorkflowState) -> [RecoveryCopy] {
        var texts: [String: String] = [:]
        for (id, step) in state.steps {
            let undo = (try? JSONEncoder.canonical.encode(step.undo)) ?? Data()
            let memory = (try? JSONEncoder.canonical.encode(step.memory)) ?? Data()
            texts[id] = String(decoding: undo, as: UTF8.self) + String(decoding: memory, as: UTF8.self)
        }
        return all.filter { copy in
            guard let text = texts[copy.step] else { return true }
            return !text.contains(copy.name)
        }
    }
}
