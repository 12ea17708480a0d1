import AWS
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `ldedge sandbox`: a local LaunchDarkly-compatible server (REST subset, SDK polling and streaming,
/// events sink, fault injection) on 127.0.0.1.
///
/// Start it in-process with `SandboxServer.start(_:)` (tests) or run it until SIGINT/SIGTERM with
/// `SandboxServer.run(_:)` (the CLI).
public final class SandboxServer: Sendable {
    public let port: Int
    public let host: String
    /// REST, SDK polling, streaming and events URI: one server answers them all.
    public let baseURI: String
    public let accessToken: String
    /// The SDK key of the default environment.
    public let sdkKey: String
    public let projectKey: String
    public let environmentKey: String

    let store: SandboxStore
    private let faults: FaultInjector
    private let events: EventSink
    private let requests: SDKRequestCounter
    private let serviceGroup: ServiceGroup
    private let task: Task<Void, Error>
    private let writer: DynamoDBStoreWriter?
    private let writerTask: Task<Void, Never>?

    private init(port: Int, host: String, store: SandboxStore, faults: FaultInjector, events: EventSink, requests: SDKRequestCounter,
                 serviceGroup: ServiceGroup, task: Task<Void, Error>, writer: DynamoDBStoreWriter?) async {
        self.port = port
        self.host = host
        self.baseURI = "http://\(host):\(port)"
        self.accessToken = store.accessToken
        self.sdkKey = await store.defaultSDKKey
        self.projectKey = await store.defaultProject
        self.environmentKey = await store.defaultEnvironment
        self.store = store
        self.faults = faults
        self.events = events
        self.requests = requests
        self.serviceGroup = serviceGroup
        self.task = task
        self.writer = writer
        self.writerTask = writer.map { writer in Task { await writer.run() } }
    }

    /// Starts the sandbox and returns once it accepts connections.
    public static func start(_ options: SandboxOptions = SandboxOptions(port: 0), handleSignals: Bool = false) async throws -> SandboxServer {
        let store = try SandboxStore(options: options)
        let writer = try await makeWriter(options, store: store)
        await store.startHeartbeat(every: options.heartbeatInterval)
        var logger = Logger(label: "ldedge.sandbox")
        logger.logLevel = ProcessInfo.processInfo.environment["LDEDGE_SANDBOX_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let faults = FaultInjector()
        let events = EventSink()
        let requests = SDKRequestCounter()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: SandboxResponder(store: store, faults: faults, events: events, requests: requests,
                                        writerStatus: { await writer?.currentStatus }),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "ldedge-sandbox"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? options.port)
            },
            logger: logger
        )
        // Services stop in reverse order: streams close (and data is saved) before the HTTP server drains.
        let serviceGroup = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: StreamCloser(store: store))],
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger
        ))
        let task = Task {
            defer { portContinuation.finish() }
            try await serviceGroup.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            do {
                try await task.value
            } catch {
                throw SandboxError.couldNotListen(host: options.host, port: options.port, detail: "\(error)")
            }
            throw SandboxError.couldNotListen(host: options.host, port: options.port, detail: "the server stopped")
        }
        return await SandboxServer(port: port, host: options.host, store: store, faults: faults, events: events, requests: requests,
                                   serviceGroup: serviceGroup, task: task, writer: writer)
    }

    private static func makeWriter(_ options: SandboxOptions, store: SandboxStore) async throws -> DynamoDBStoreWriter? {
        guard let dynamoDB = options.dynamoDB else { return nil }
        do {
            let client = try AWSClient.fromEnvironment(options.awsEnvironment ?? ProcessInfo.processInfo.environment)
            return DynamoDBStoreWriter(store: store, sdkKey: await store.defaultSDKKey, dynamoDB: client.dynamoDB, options: dynamoDB)
        } catch {
            throw SandboxError.dynamoDBUnavailable(table: dynamoDB.table, detail: "\(error)")
        }
    }

    /// Runs until SIGINT/SIGTERM, printing the lines a user pastes into a shell to stdout (unbuffered,
    /// so a parent process reading a pipe sees them at once).
    public static func run(
        _ options: SandboxOptions,
        output: @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
    ) async throws {
        let server = try await start(options, handleSignals: true)
        for line in server.shellExports { output(line) }
        FileHandle.standardError.write(Data((
            "ldedge sandbox listening on \(server.baseURI) (project \(server.projectKey), environment \(server.environmentKey), "
            + (options.dataPath.map { "data \($0)" } ?? "in memory") + "); Ctrl-C stops it\n").utf8))
        try await server.task.value
    }

    /// `export` lines for ldedge and the handler's SDK (all URIs are the sandbox).
    public var shellExports: [String] {
        [
            "export LD_ACCESS_TOKEN=\(accessToken)",
            "export LD_BASE_URI=\(baseURI)",
            "export LD_SDK_KEY=\(sdkKey)",
            "export LD_PROJECT=\(projectKey)",
            "export LD_ENVIRONMENT=\(environmentKey)",
        ]
    }

    /// Stops the server: closes streams, saves the data file, drains connections.
    public func stop() async {
        writerTask?.cancel()
        await serviceGroup.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// Events received on `/bulk` and `/diagnostic` (the same JSON as `GET /_sandbox/events`).
    public func receivedEvents() async -> [String: Any] {
        let data = Data(SandboxStore.json(events.summary).utf8)
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// Fails the next matching requests (see `SandboxFault`).
    public func injectFaults(_ faults: [SandboxFault]) async {
        self.faults.add(faults)
    }

    /// Requests SDKs made to the SDK endpoints (polling, streaming, events), by path.
    public func sdkRequests() -> [String: Int] { requests.counts }

    /// What the DynamoDB writer has done (nil when the sandbox writes no table).
    public func dynamoDBStatus() async -> DynamoDBStoreStatus? {
        await writer?.currentStatus
    }

    /// Open streaming connections.
    public func streamingConnections() async -> Int {
        await store.streamCount
    }
}

/// Ends SSE streams on shutdown so the HTTP server can drain.
private struct StreamCloser: Service {
    let store: SandboxStore

    func run() async throws {
        try? await gracefulShutdown()
        await store.shutdown()
    }
}
