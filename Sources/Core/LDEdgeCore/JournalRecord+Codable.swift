import Foundation

/// The journal's line format: one flat JSON object per record — `seq`, `run`, `time`, `type` and
/// that kind's own fields (`step`, `action`, `undo`, ...) — the same bytes earlier releases wrote.
extension JournalRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case seq, run, time, type, step, kind, input, digest, action, undo, intent, ok, error, resource, key, value, outputs
        case command, git, workflowFile, settings, removed, environment, user, ttl, expires
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seq = try c.decode(Int.self, forKey: .seq)
        run = try c.decode(String.self, forKey: .run)
        time = try c.decode(Date.self, forKey: .time)
        let type = try c.decode(JournalEntry.Kind.self, forKey: .type)
        func step() throws -> String { try c.decode(String.self, forKey: .step) }
        func error() throws -> String? { try c.decodeIfPresent(String.self, forKey: .error) }
        switch type {
        case .runBegin:
            entry = .runBegin(JournalEntry.RunBegin(
                command: try c.decodeIfPresent(String.self, forKey: .command) ?? "", git: try c.decodeIfPresent(GitStamp.self, forKey: .git),
                workflowFile: try c.decodeIfPresent(String.self, forKey: .workflowFile), settings: try c.decodeIfPresent(WorkflowSettings.self, forKey: .settings)))
            if case .runBegin(var begin) = entry {
                begin.environment = try c.decodeIfPresent(String.self, forKey: .environment)
                begin.user = try c.decodeIfPresent(String.self, forKey: .user)
                begin.ttl = try c.decodeIfPresent(Double.self, forKey: .ttl)
                begin.expires = try c.decodeIfPresent(Date.self, forKey: .expires)
                entry = .runBegin(begin)
            }
        case .runEnd:
            entry = .runEnd(error: try error())
        case .stepBegin:
            entry = .stepBegin(step: try step(), kind: try c.decodeIfPresent(String.self, forKey: .kind) ?? "",
                               input: try c.decodeIfPresent(JSONValue.self, forKey: .input) ?? .null, digest: try c.decodeIfPresent(String.self, forKey: .digest) ?? "")
        case .intent:
            entry = .intent(step: try step(), action: try c.decodeIfPresent(String.self, forKey: .action) ?? "", undo: try c.decodeIfPresent(JSONValue.self, forKey: .undo))
        case .result:
            entry = .result(step: try step(), intent: try c.decode(Int.self, forKey: .intent), ok: try c.decodeIfPresent(Bool.self, forKey: .ok) ?? false, error: try error())
        case .own:
            entry = .own(step: try step(), resource: try c.decode(Resource.self, forKey: .resource))
        case .release:
            entry = .release(step: try step(), resource: try c.decode(Resource.self, forKey: .resource))
        case .remember:
            entry = .remember(step: try step(), key: try c.decode(String.self, forKey: .key), value: try c.decodeIfPresent(JSONValue.self, forKey: .value))
        case .outputs:
            entry = .outputs(step: try step(), outputs: try c.decodeIfPresent([String: String].self, forKey: .outputs) ?? [:])
        case .stepApplied:
            entry = .stepApplied(step: try step())
        case .stepFailed:
            entry = .stepFailed(step: try step(), error: try error())
        case .undoDone:
            entry = .undoDone(step: try step(), intent: try c.decode(Int.self, forKey: .intent))
        case .stepRolledBack:
            entry = .stepRolledBack(step: try step(), error: try error())
        case .teardownBegin:
            entry = .teardownBegin(step: try step())
        case .teardownPending:
            entry = .teardownPending(step: try step(), reason: try error() ?? "")
        case .stepTornDown:
            entry = .stepTornDown(step: try step(), removed: try c.decodeIfPresent([String].self, forKey: .removed) ?? [])
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(run, forKey: .run)
        try c.encode(time, forKey: .time)
        try c.encode(type, forKey: .type)
        try c.encodeIfPresent(step, forKey: .step)
        switch entry {
        case .runBegin(let begin):
            try c.encode(begin.command, forKey: .command)
            try c.encodeIfPresent(begin.git, forKey: .git)
            try c.encodeIfPresent(begin.workflowFile, forKey: .workflowFile)
            try c.encodeIfPresent(begin.settings, forKey: .settings)
            try c.encodeIfPresent(begin.environment, forKey: .environment)
            try c.encodeIfPresent(begin.user, forKey: .user)
            try c.encodeIfPresent(begin.ttl, forKey: .ttl)
            try c.encodeIfPresent(begin.expires, forKey: .expires)
        case .runEnd(let error), .stepFailed(_, let error), .stepRolledBack(_, let error):
            try c.encodeIfPresent(error, forKey: .error)
        case .stepBegin(_, let kind, let input, let digest):
            try c.encode(kind, forKey: .kind)
            try c.encode(input, forKey: .input)
            try c.encode(digest, forKey: .digest)
        case .intent(_, let action, let undo):
            try c.encode(action, forKey: .action)
            try c.encodeIfPresent(undo, forKey: .undo)
        case .result(_, let intent, let ok, let error):
            try c.encode(intent, forKey: .intent)
            try c.encode(ok, forKey: .ok)
            try c.encodeIfPresent(error, forKey: .error)
        case .own(_, let resource), .release(_, let resource):
            try c.encode(resource, forKey: .resource)
        case .remember(_, let key, let value):
            try c.encode(key, forKey: .key)
            try c.encode(value ?? .null, forKey: .value)
        case .outputs(_, let outputs):
            try c.encode(outputs, forKey: .outputs)
        case .stepApplied, .teardownBegin:
            break
        case .undoDone(_, let intent):
            try c.encode(intent, forKey: .intent)
        case .teardownPending(_, let reason):
            try c.encode(reason, forKey: .error)
        case .stepTornDown(_, let removed):
            try c.encode(removed, forKey: .removed)
        }
    }
}
