import Crypto
import Foundation
import LaunchDarkly
import NIOCore

/// The sandbox's flags and everything that changes them. One actor, so REST changes, SDK payloads
/// and stream events are always consistent with each other.
actor SandboxStore {
    private var state: SandboxState
    private let dataPath: String?
    private let saveDelay: Double
    /// Immutable after start: environments are only created on first start.
    nonisolated let accessToken: String
    nonisolated let environmentsBySDKKey: [String: (project: String, environment: String)]

    private var payloadCache: [String: (body: ByteBuffer, etag: String)] = [:]
    private var subscribers: [String: [UUID: AsyncStream<ByteBuffer>.Continuation]] = [:]
    private var saveScheduled = false
    private var heartbeat: Task<Void, Never>?

    init(options: SandboxOptions) throws {
        dataPath = options.dataPath
        saveDelay = options.saveDelay
        var loaded: SandboxState?
        if let path = options.dataPath, FileManager.default.fileExists(atPath: path) {
            do {
                loaded = try JSONDecoder().decode(SandboxState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw SandboxError.unreadableDataFile(path: path, detail: "\(error)")
            }
        }
        let state = loaded ?? Self.initialState(options)
        self.state = state
        accessToken = state.accessToken
        var index: [String: (project: String, environment: String)] = [:]
        for project in state.projects {
            for env in project.environments { index[env.apiKey] = (project.key, env.key) }
        }
        environmentsBySDKKey = index
        if loaded == nil, let path = options.dataPath {
            try Self.write(state, to: path)
        }
    }

    private static func initialState(_ options: SandboxOptions) -> SandboxState {
        let env = SandboxEnvironment(
            id: SandboxIDs.objectID(), key: options.environment, name: options.environment.capitalized,
            apiKey: options.sdkKey ?? "sdk-\(SandboxIDs.uuid())", mobileKey: "mob-\(SandboxIDs.uuid())", color: "417505")
        let project = SandboxProject(
            id: SandboxIDs.objectID(), key: options.project, name: options.project.capitalized,
            environments: [env], flags: [:])
        return SandboxState(accessToken: options.accessToken ?? "api-\(SandboxIDs.uuid())", projects: [project])
    }

    /// The SDK key of the first environment of the first project (the one printed at start).
    var defaultSDKKey: String { state.projects.first?.environments.first?.apiKey ?? "" }
    var defaultProject: String { state.projects.first?.key ?? "" }
    var defaultEnvironment: String { state.projects.first?.environments.first?.key ?? "" }

    // MARK: REST

    private func projectIndex(_ key: String) throws -> Int {
        guard let index = state.projects.firstIndex(where: { $0.key == key }) else {
            throw SandboxAPIError.notFound("Unknown project key '\(key)'")
        }
        return index
    }

    func project(_ key: String) throws -> JSONValue {
        SandboxRendering.project(state.projects[try projectIndex(key)])
    }

    func environment(project: String, environment: String) throws -> JSONValue {
        let p = state.projects[try projectIndex(project)]
        guard let env = p.environments.first(where: { $0.key == environment }) else {
            throw SandboxAPIError.notFound("Unknown environment key '\(environment)'")
        }
        return SandboxRendering.environment(env, project: p)
    }

    func environments(project: String) throws -> JSONValue {
        let p = state.projects[try projectIndex(project)]
        return .object([
            "_links": .object(["self": SandboxRendering.link("/api/v2/projects/\(p.key)/environments")]),
            "totalCount": .number(Double(p.environments.count)),
            "items": .array(p.environments.map { SandboxRendering.environment($0, project: p) }),
        ])
    }

    private func checkEnvironment(_ env: String?, in p: SandboxProject) throws {
        if let env, !p.environments.contains(where: { $0.key == env }) {
            throw SandboxAPIError.notFound("Unknown environment key '\(env)'")
        }
    }

    func flags(project: String, environment: String?) throws -> JSONValue {
        let p = state.projects[try projectIndex(project)]
        try checkEnvironment(environment, in: p)
        let items = p.flags.keys.sorted().compactMap { p.flags[$0] }.map { SandboxRendering.flag($0, project: p, only: environment) }
        return .object([
            "items": .array(items),
            "totalCount": .number(Double(items.count)),
            "_links": .object(["self": SandboxRendering.link("/api/v2/flags/\(project)")]),
        ])
    }

    func flag(project: String, key: String, environment: String?) throws -> JSONValue {
        let p = state.projects[try projectIndex(project)]
        try checkEnvironment(environment, in: p)
        guard let flag = p.flags[key] else { throw SandboxAPIError.notFound("Unknown flag key '\(key)'") }
        return SandboxRendering.flag(flag, project: p, only: environment)
    }

    func createFlag(project: String, body: JSONValue) throws -> JSONValue {
        let pi = try projectIndex(project)
        guard let key = body["key"]?.stringValue, !key.isEmpty else { throw SandboxAPIError.invalid("key is required") }
        guard key.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), key.first?.isLetter == true || key.first?.isNumber == true else {
            throw SandboxAPIError.invalid("key '\(key)' must start with a letter or digit and contain only letters, digits, '.', '_' and '-'")
        }
        guard let name = body["name"]?.stringValue, !name.isEmpty else { throw SandboxAPIError.invalid("name is required") }
        guard state.projects[pi].flags[key] == nil else { throw SandboxAPIError.conflict("A flag with key '\(key)' already exists") }

        var variations: [Variation]
        if let given = body["variations"]?.arrayValue {
            variations = try given.map { item in
                guard let value = item["value"] else { throw SandboxAPIError.invalid("each variation needs a value") }
                return Variation(id: SandboxIDs.uuid(), value: value, name: item["name"]?.stringValue, description: item["description"]?.stringValue)
            }
            guard variations.count >= 2 else { throw SandboxAPIError.invalid("a flag needs at least two variations") }
            guard Set(variations.map(\.value)).count == variations.count else { throw SandboxAPIError.invalid("variation values must be unique") }
        } else {
            variations = [Variation(id: SandboxIDs.uuid(), value: .bool(true)), Variation(id: SandboxIDs.uuid(), value: .bool(false))]
        }
        let isBoolean = variations.count == 2 && variations.allSatisfy { $0.value.boolValue != nil }
        let onVariation = body["defaults"]?["onVariation"]?.intValue ?? 0
        let offVariation = body["defaults"]?["offVariation"]?.intValue ?? (variations.count - 1)
        guard variations.indices.contains(onVariation), variations.indices.contains(offVariation) else {
            throw SandboxAPIError.invalid("defaults refer to a variation that does not exist")
        }
        let now = SandboxIDs.nowMillis()
        let isOn = body["isFlagOn"]?.boolValue ?? false
        var environments: [String: SandboxFlagConfig] = [:]
        for env in state.projects[pi].environments {
            var config = SandboxFlagConfig(on: isOn, fallthrough: VariationOrRollout(variation: onVariation), offVariation: offVariation, now: now)
            // A salt derived from project, environment and flag (LaunchDarkly's is random): the same
            // contexts split the same way on every run, so sandbox demos and tests are reproducible.
            let seed = Data("\(state.projects[pi].key)/\(env.key)/\(key)".utf8)
            config.salt = SHA256.hash(data: seed).prefix(16).map { String(format: "%02x", $0) }.joined()
            environments[env.key] = config
        }
        let availability = body["clientSideAvailability"]
        let flag = SandboxFlag(
            key: key, name: name, description: body["description"]?.stringValue ?? "",
            kind: isBoolean ? "boolean" : "multivariate", version: 1, creationDate: now,
            temporary: body["temporary"]?.boolValue ?? true, archived: false,
            tags: body["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            variations: variations,
            defaults: .init(onVariation: onVariation, offVariation: offVariation),
            clientSideAvailability: .init(
                usingEnvironmentId: availability?["usingEnvironmentId"]?.boolValue ?? body["includeInSnippet"]?.boolValue ?? false,
                usingMobileKey: availability?["usingMobileKey"]?.boolValue ?? false),
            environments: environments)
        commit(projectIndex: pi, key: key, old: nil, new: flag)
        return SandboxRendering.flag(flag, project: state.projects[pi])
    }

    func deleteFlag(project: String, key: String) throws {
        let pi = try projectIndex(project)
        guard let old = state.projects[pi].flags[key] else { throw SandboxAPIError.notFound("Unknown flag key '\(key)'") }
        commit(projectIndex: pi, key: key, old: old, new: nil)
    }

    /// Semantic patch (`domain-model=launchdarkly.semanticpatch`).
    func semanticPatch(project: String, key: String, body: JSONValue, environment queryEnvironment: String?) throws -> JSONValue {
        let pi = try projectIndex(project)
        guard let old = state.projects[pi].flags[key] else { throw SandboxAPIError.notFound("Unknown flag key '\(key)'") }
        guard let instructions = body["instructions"]?.arrayValue else { throw SandboxAPIError.invalid("instructions is required") }
        let environment = body["environmentKey"]?.stringValue ?? queryEnvironment
        try checkEnvironment(environment, in: state.projects[pi])
        let new: SandboxFlag
        do {
            new = try SemanticPatch.apply(instructions, environment: environment, to: old, now: SandboxIDs.nowMillis())
        } catch let failure as SemanticPatch.Failure {
            throw SandboxAPIError.invalid(failure.message)
        }
        commit(projectIndex: pi, key: key, old: old, new: new)
        return SandboxRendering.flag(state.projects[pi].flags[key] ?? new, project: state.projects[pi], only: environment)
    }

    /// JSON Patch, bare (`[ops]`) or wrapped (`{"patch": [ops], "comment": ...}`).
    func jsonPatch(project: String, key: String, body: JSONValue, environment: String?) throws -> JSONValue {
        let pi = try projectIndex(project)
        guard let old = state.projects[pi].flags[key] else { throw SandboxAPIError.notFound("Unknown flag key '\(key)'") }
        guard let operations = body.arrayValue ?? body["patch"]?.arrayValue else {
            throw SandboxAPIError.invalid("body must be a JSON Patch array or {\"patch\": [...]}")
        }
        var new: SandboxFlag
        do {
            let patched = try JSONPatch.apply(operations, to: SandboxRendering.encodeToJSON(old))
            new = try JSONDecoder().decode(SandboxFlag.self, from: JSONEncoder().encode(patched))
        } catch let failure as JSONPatch.Failure {
            throw SandboxAPIError.invalid(failure.message)
        } catch {
            throw SandboxAPIError.invalid("the patched flag is not valid: \(error)")
        }
        // Read-only fields stay as they were.
        new.key = old.key
        new.version = old.version
        new.creationDate = old.creationDate
        for (env, var config) in new.environments {
            guard let before = old.environments[env] else { throw SandboxAPIError.invalid("cannot add environment '\(env)'") }
            config.version = before.version
            if config != before { config.lastModified = SandboxIDs.nowMillis() }
            new.environments[env] = config
        }
        guard Set(new.environments.keys) == Set(old.environments.keys) else { throw SandboxAPIError.invalid("cannot remove environments") }
        for config in new.environments.values {
            let indices = new.variations.indices
            if let off = config.offVariation, !indices.contains(off) { throw SandboxAPIError.invalid("offVariation \(off) does not exist") }
            if let v = config.fallthrough.variation, !indices.contains(v) { throw SandboxAPIError.invalid("fallthrough variation \(v) does not exist") }
            if let rollout = config.fallthrough.rollout {
                guard rollout.variations.allSatisfy({ indices.contains($0.variation) }),
                      rollout.variations.reduce(0, { $0 + $1.weight }) == 100_000 else {
                    throw SandboxAPIError.invalid("rollout weights must refer to existing variations and sum to 100000")
                }
            }
        }
        commit(projectIndex: pi, key: key, old: old, new: new)
        return SandboxRendering.flag(state.projects[pi].flags[key] ?? new, project: state.projects[pi], only: environment)
    }

    /// Stores a change: bumps versions, refreshes SDK payloads, tells streaming SDKs, schedules a save.
    private func commit(projectIndex pi: Int, key: String, old: SandboxFlag?, new: SandboxFlag?) {
        var project = state.projects[pi]
        var changedEnvironments: [String] = []
        if var flag = new {
            if let old {
                guard old != flag else { return }
                flag.version = old.version + 1
                let sdkWide = old.variations != flag.variations || old.clientSideAvailability != flag.clientSideAvailability
                for env in project.environments {
                    guard var config = flag.environments[env.key], let before = old.environments[env.key] else { continue }
                    if sdkWide || config != before {
                        config.version = before.version + 1
                        flag.environments[env.key] = config
                        changedEnvironments.append(env.key)
                    }
                }
            } else {
                changedEnvironments = project.environments.map(\.key)
            }
            project.flags[key] = flag
        } else {
            project.flags[key] = nil
            changedEnvironments = project.environments.map(\.key)
        }
        state.projects[pi] = project
        for env in project.environments where changedEnvironments.contains(env.key) {
            payloadCache[env.apiKey] = nil
            let event: String
            if let flag = project.flags[key], let config = flag.environments[env.key] {
                let data: JSONValue = .object(["path": .string("/flags/\(key)"), "data": SandboxRendering.sdkFlag(flag, config: config)])
                event = "event: patch\ndata: \(Self.json(data))\n\n"
            } else {
                let version = (old?.environments[env.key]?.version ?? 0) + 1
                let data: JSONValue = .object(["path": .string("/flags/\(key)"), "version": .number(Double(version))])
                event = "event: delete\ndata: \(Self.json(data))\n\n"
            }
            broadcast(event, to: env.apiKey)
        }
        scheduleSave()
    }

    // MARK: SDK

    /// `{"flags": {...}, "segments": {}}` for the environment of `sdkKey`, with its ETag. Cached until a change.
    func sdkPayload(sdkKey: String) -> (body: ByteBuffer, etag: String)? {
        if let cached = payloadCache[sdkKey] { return cached }
        guard let all = allData(sdkKey: sdkKey) else { return nil }
        let bytes = Self.json(all)
        let digest = Insecure.SHA1.hash(data: Array(bytes.utf8)).map { String(format: "%02x", $0) }.joined()
        let entry = (body: ByteBuffer(string: bytes), etag: "\"\(digest)\"")
        payloadCache[sdkKey] = entry
        return entry
    }

    func allData(sdkKey: String) -> JSONValue? {
        guard let location = environmentsBySDKKey[sdkKey],
              let project = state.projects.first(where: { $0.key == location.project }) else { return nil }
        var flags: [String: JSONValue] = [:]
        for (key, flag) in project.flags {
            if let config = flag.environments[location.environment] { flags[key] = SandboxRendering.sdkFlag(flag, config: config) }
        }
        return .object(["flags": .object(flags), "segments": .object([:])])
    }

    /// A stream of SSE bytes: a `put` with everything, then `patch`/`delete` events and heartbeats.
    func subscribe(sdkKey: String) -> AsyncStream<ByteBuffer>? {
        guard let all = allData(sdkKey: sdkKey) else { return nil }
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let id = UUID()
        continuation.yield(ByteBuffer(string: "event: put\ndata: \(Self.json(.object(["path": .string("/"), "data": all])))\n\n"))
        subscribers[sdkKey, default: [:]][id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(sdkKey: sdkKey, id: id) }
        }
        return stream
    }

    private func unsubscribe(sdkKey: String, id: UUID) {
        subscribers[sdkKey]?[id] = nil
    }

    var streamCount: Int { subscribers.values.reduce(0) { $0 + $1.count } }

    private func broadcast(_ text: String, to sdkKey: String) {
        guard let targets = subscribers[sdkKey], !targets.isEmpty else { return }
        let buffer = ByteBuffer(string: text)
        for continuation in targets.values { continuation.yield(buffer) }
    }

    func startHeartbeat(every seconds: Double) {
        heartbeat?.cancel()
        heartbeat = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
                await self?.sendHeartbeat()
            }
        }
    }

    private func sendHeartbeat() {
        let buffer = ByteBuffer(string: ":heartbeat\n\n")
        for group in subscribers.values {
            for continuation in group.values { continuation.yield(buffer) }
        }
    }

    /// Ends every stream and writes pending changes: called before the HTTP server shuts down.
    func shutdown() {
        heartbeat?.cancel()
        for group in subscribers.values {
            for continuation in group.values { continuation.finish() }
        }
        subscribers = [:]
        try? saveNow()
    }

    // MARK: Persistence

    private func scheduleSave() {
        guard dataPath != nil, !saveScheduled else { return }
        saveScheduled = true
        let delay = saveDelay
        Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
            try? await self?.saveNow()
        }
    }

    func saveNow() throws {
        saveScheduled = false
        guard let dataPath else { return }
        try Self.write(state, to: dataPath)
    }

    private static func write(_ state: SandboxState, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try encoder.encode(state).write(to: url, options: .atomic)
        } catch {
            throw SandboxError.unwritableDataFile(path: path, detail: "\(error)")
        }
    }

    static func json(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}
