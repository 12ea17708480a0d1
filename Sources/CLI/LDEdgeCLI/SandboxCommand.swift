import ArgumentParser
import LDSandbox

/// `ldedge sandbox`: runs a local LaunchDarkly-compatible server until Ctrl-C.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a local LaunchDarkly-compatible server (REST API subset, SDK polling/streaming, events).",
        discussion: """
            Prints `export LD_ACCESS_TOKEN=...`, `LD_BASE_URI=...` and `LD_SDK_KEY=...` lines to paste into a shell \
            so ldedge and the handler's SDK (base, stream and events URIs all equal to LD_BASE_URI) talk to it.

            Test hooks: GET /_sandbox/events shows what SDKs sent to /bulk and /diagnostic; \
            POST /_sandbox/faults {"path": "/sdk/latest-all", "method": "GET", "status": 503, "delayMs": 0, "count": 3} \
            fails the next matching requests (path may end in *); DELETE /_sandbox/faults clears them; \
            GET /_sandbox/requests counts requests to the SDK endpoints by path.

            With --dynamodb-table it also plays the Relay Proxy's DynamoDB writer for the default environment: \
            once the table exists (it polls, as the Relay Proxy does) it writes every flag and segment in the layout \
            the SDKs' DynamoDB stores read, and then every change, through AWS_ENDPOINT_URL with the usual AWS \
            credentials and region variables. GET /_sandbox/dynamodb shows its progress.
            """
    )

    @Option(help: "Port on 127.0.0.1 (0 picks a free port).")
    var port: Int = 8765

    @Option(help: "JSON file that keeps flags across restarts.")
    var data: String = ".ldedge/sandbox.json"

    @Flag(help: "Keep state in memory only (ignore --data).")
    var inMemory = false

    @Option(help: "Project created on first start.")
    var project: String = "default"

    @Option(help: "Environment created on first start.")
    var environment: String = "production"

    @Option(help: "Seconds between streaming heartbeats.")
    var heartbeat: Double = 15

    @Option(name: .customLong("dynamodb-table"), help: "DynamoDB table to keep in sync, as the Relay Proxy does (waits until it exists).")
    var dynamoDBTable: String?

    @Option(name: .customLong("dynamodb-prefix"), help: "Key prefix of the environment's items in the table.")
    var dynamoDBPrefix: String?

    func validate() throws {
        if dynamoDBPrefix != nil && dynamoDBTable == nil {
            throw ValidationError("--dynamodb-prefix needs --dynamodb-table NAME")
        }
    }

    func run() async throws {
        try await SandboxServer.run(SandboxOptions(
            port: port, dataPath: inMemory ? nil : data,
            project: project, environment: environment, heartbeatInterval: heartbeat,
            dynamoDB: dynamoDBTable.map { DynamoDBStoreOptions(table: $0, prefix: dynamoDBPrefix) }))
    }
}
