import Foundation

/// How to start a sandbox.
public struct SandboxOptions: Sendable {
    /// Always a loopback address by default: the sandbox has no real security.
    public var host: String
    /// 0 picks a free ephemeral port.
    public var port: Int
    /// JSON file the state persists to; nil keeps everything in memory.
    public var dataPath: String?
    /// Fixed access token / SDK key for a fresh data file (random when nil). Ignored when the file exists.
    public var accessToken: String?
    public var sdkKey: String?
    /// The project and environment created on first start.
    public var project: String
    public var environment: String
    /// Seconds between SSE heartbeat comments on streaming connections.
    public var heartbeatInterval: Double
    /// Delay before a change is written to the data file (writes are coalesced).
    public var saveDelay: Double
    /// Also keep this DynamoDB table in sync, as a Relay Proxy would (AWS from the environment: AWS_ENDPOINT_URL ...).
    public var dynamoDB: DynamoDBStoreOptions?
    /// The environment AWS credentials, region and endpoint are read from (the process's by default).
    public var awsEnvironment: [String: String]?

    public init(
        host: String = "127.0.0.1", port: Int = 8765, dataPath: String? = nil,
        accessToken: String? = nil, sdkKey: String? = nil,
        project: String = "default", environment: String = "production",
        heartbeatInterval: Double = 15, saveDelay: Double = 0.05, dynamoDB: DynamoDBStoreOptions? = nil
    ) {
        self.dynamoDB = dynamoDB
        self.host = host
        self.port = port
        self.dataPath = dataPath
        self.accessToken = accessToken
        self.sdkKey = sdkKey
        self.project = project
        self.environment = environment
        self.heartbeatInterval = heartbeatInterval
        self.saveDelay = saveDelay
    }
}

/// Why the sandbox could not start or stopped.
public enum SandboxError: Error, CustomStringConvertible {
    case unreadableDataFile(path: String, detail: String)
    case unwritableDataFile(path: String, detail: String)
    case couldNotListen(host: String, port: Int, detail: String)
    case dynamoDBUnavailable(table: String, detail: String)

    public var description: String {
        switch self {
        case .unreadableDataFile(let path, let detail):
            return "cannot read sandbox data file \(path) (\(detail)): fix or remove it, or pass another --data path"
        case .unwritableDataFile(let path, let detail):
            return "cannot write sandbox data file \(path) (\(detail)): check the directory exists and is writable"
        case .couldNotListen(let host, let port, let detail):
            return "cannot listen on \(host):\(port) (\(detail)): is another sandbox running? pass --port N, or --port 0 for a free port"
        case .dynamoDBUnavailable(let table, let detail):
            return "cannot write DynamoDB table \(table): \(detail); set AWS_REGION, credentials and AWS_ENDPOINT_URL (for example the emulator's) and try again"
        }
    }
}

/// A REST error response: status plus the `{"code","message"}` body.
struct SandboxAPIError: Error {
    var status: Int
    var code: String
    var message: String

    static func notFound(_ message: String) -> SandboxAPIError { .init(status: 404, code: "not_found", message: message) }
    static func invalid(_ message: String) -> SandboxAPIError { .init(status: 400, code: "invalid_request", message: message) }
    static func conflict(_ message: String) -> SandboxAPIError { .init(status: 409, code: "conflict", message: message) }
}

/// One injected failure: the next `count` requests matching `method` and `path` get `status` after `delayMs`.
public struct SandboxFault: Codable, Sendable {
    /// HTTP method to match; nil matches any.
    public var method: String?
    /// Exact path, or a prefix when it ends with `*`.
    public var path: String
    /// Status to answer with; nil only delays and then serves the request normally.
    public var status: Int?
    public var delayMs: Int?
    public var count: Int?
    public var headers: [String: String]?
    public var body: String?

    public init(method: String? = nil, path: String, status: Int? = nil, delayMs: Int? = nil, count: Int? = 1, headers: [String: String]? = nil, body: String? = nil) {
        self.method = method
        self.path = path
        self.status = status
        self.delayMs = delayMs
        self.count = count
        self.headers = headers
        self.body = body
    }

    func matches(method: String, path: String) -> Bool {
        if let expected = self.method, expected.uppercased() != method.uppercased() { return false }
        if self.path.hasSuffix("*") { return path.hasPrefix(String(self.path.dropLast())) }
        return self.path == path
    }
}
