import AWS
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The local AWS emulator (moto plus ldedge's CloudFront/Lambda patches), run from
/// `scripts/aws-emulator/server.py` on a free loopback port.
///
/// Tests start it themselves; it exits on its own when the test process ends
/// (it watches its stdin). Use `AWSEmulator.shared()` to pay the ~5 s start-up
/// once per test process and `reset()` between tests.
public final class AWSEmulator: @unchecked Sendable {
    public let port: Int
    public var endpoint: URL { URL(string: "http://127.0.0.1:\(port)") ?? URL(fileURLWithPath: "/") }
    private let process: Process
    private let stdinPipe: Pipe

    /// The credentials moto accepts (it does not check signatures, but requests must be signed).
    public static let credentials = AWSCredentials(accessKeyId: "AKIAEMULATOREXAMPLE", secretAccessKey: "emulator-secret-key", source: "emulator")
    public static let accountId = "123456789012"

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Where the launcher lives in this checkout.
    public static var launcherPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/aws-emulator/server.py").path
    }

    private static let sharedBox = SharedBox()

    /// One emulator per test process, started on first use.
    public static func shared() async throws -> AWSEmulator {
        try await sharedBox.get()
    }

    private actor SharedBox {
        var instance: AWSEmulator?
        var failure: Error?
        func get() async throws -> AWSEmulator {
            if let instance { return instance }
            if let failure { throw failure }
            do {
                let started = try await AWSEmulator.start()
                instance = started
                return started
            } catch {
                failure = error
                throw error
            }
        }
    }

    /// Starts a new emulator. Fails (never skips) with an install hint when moto is missing.
    public static func start(cloudFrontDeploySeconds: Double = 0.3, lambdaReadySeconds: Double = 0.2, replicaReleaseSeconds: Double = 0.5) async throws -> AWSEmulator {
        let python = ProcessInfo.processInfo.environment["LDEDGE_PYTHON"] ?? "/usr/bin/env"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        var arguments = [launcherPath, "--port", "0", "--exit-on-stdin-eof",
                         "--cloudfront-deploy-seconds", String(cloudFrontDeploySeconds),
                         "--lambda-ready-seconds", String(lambdaReadySeconds),
                         "--replica-release-seconds", String(replicaReleaseSeconds)]
        if python == "/usr/bin/env" { arguments.insert("python3", at: 0) }
        process.arguments = arguments
        let stdinPipe = Pipe(), stdoutPipe = Pipe(), stderrPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        let output = LockedBuffer(), errors = LockedBuffer()
        stdoutPipe.fileHandleForReading.readabilityHandler = { output.append($0.availableData) }
        stderrPipe.fileHandleForReading.readabilityHandler = { errors.append($0.availableData) }
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot run python3 for the AWS emulator (\(error)). Install Python 3 and the test dependencies: python3 -m pip install -r scripts/requirements.txt")
        }
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            if let line = output.firstLine, line.hasPrefix("LISTENING "), let port = Int(line.dropFirst("LISTENING ".count)) {
                stdoutPipe.fileHandleForReading.readabilityHandler = nil
                return AWSEmulator(port: port, process: process, stdinPipe: stdinPipe)
            }
            if !process.isRunning {
                let message = errors.text.trimmingCharacters(in: .whitespacesAndNewlines)
                throw Failure(description: "the AWS emulator exited (status \(process.terminationStatus)) before listening:\n\(message)\n"
                    + "If moto is missing, install the test dependencies: python3 -m pip install -r scripts/requirements.txt")
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        process.terminate()
        throw Failure(description: "the AWS emulator did not start within 90 s: \(errors.text)")
    }

    private init(port: Int, process: Process, stdinPipe: Pipe) {
        self.port = port
        self.process = process
        self.stdinPipe = stdinPipe
    }

    /// Stops the emulator (closing its stdin makes it exit).
    public func stop() {
        try? stdinPipe.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    // MARK: Clients

    /// A client pointed at the emulator, with fast retries.
    public func client(region: String = "us-east-1", retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.1),
                       dryRun: Bool = false, observer: (any AWSRequestObserver)? = nil) -> AWSClient {
        AWSClient(configuration: AWSConfiguration(region: region, credentials: Self.credentials, endpointURL: endpoint,
                                                  retry: retry, dryRun: dryRun, observer: observer))
    }

    /// Environment for subprocesses (the aws CLI, ldedge itself) to use the emulator.
    public var environment: [String: String] {
        ["AWS_ENDPOINT_URL": endpoint.absoluteString, "AWS_ACCESS_KEY_ID": Self.credentials.accessKeyId,
         "AWS_SECRET_ACCESS_KEY": Self.credentials.secretAccessKey, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"]
    }

    // MARK: Control

    /// Clears every resource, fault and logged call.
    public func reset() async throws {
        _ = try await control("POST", "reset")
    }

    /// Fails the next `count` calls matching service/operation (nil matches any) with `status` and `code`.
    public func injectFault(service: String? = nil, operation: String? = nil, status: Int, code: String, message: String = "injected by test",
                            count: Int = 1, retryAfter: Int? = nil, region: String? = nil) async throws {
        var spec: [String: Any] = ["status": status, "code": code, "message": message, "count": count]
        if let region { spec["region"] = region }
        if let service { spec["service"] = service }
        if let operation { spec["operation"] = operation }
        if let retryAfter { spec["retryAfter"] = retryAfter }
        _ = try await control("POST", "faults", body: spec)
    }

    public func clearFaults() async throws {
        _ = try await control("DELETE", "faults")
    }

    /// Timing of the emulated asynchronous states.
    public func configure(cloudFrontDeploySeconds: Double? = nil, lambdaReadySeconds: Double? = nil, replicaReleaseSeconds: Double? = nil,
                          iamPropagationSeconds: Double? = nil) async throws {
        var spec: [String: Any] = [:]
        if let iamPropagationSeconds { spec["iamPropagationSeconds"] = iamPropagationSeconds }
        if let cloudFrontDeploySeconds { spec["cloudfrontDeploySeconds"] = cloudFrontDeploySeconds }
        if let lambdaReadySeconds { spec["lambdaReadySeconds"] = lambdaReadySeconds }
        if let replicaReleaseSeconds { spec["replicaReleaseSeconds"] = replicaReleaseSeconds }
        _ = try await control("POST", "config", body: spec)
    }

    /// One call the emulator received.
    public struct Call: Decodable, Equatable, Sendable {
        public var service: String
        public var operation: String
        public var method: String
        public var path: String
        public var mutating: Bool
    }

    /// Every AWS call received since the last reset or `clearCalls()`.
    public func calls() async throws -> [Call] {
        struct Calls: Decodable { let calls: [Call] }
        return try JSONDecoder().decode(Calls.self, from: try await control("GET", "calls")).calls
    }

    /// Calls that change state (retries of one call count separately here).
    public func mutatingCalls() async throws -> [Call] {
        try await calls().filter(\.mutating)
    }

    public func clearCalls() async throws {
        _ = try await control("DELETE", "calls")
    }

    /// Everything that exists in the emulator.
    public func inventory() async throws -> AWSInventory {
        try JSONDecoder().decode(AWSInventory.self, from: try await control("GET", "inventory"))
    }

    private func control(_ method: String, _ path: String, body: [String: Any]? = nil) async throws -> Data {
        var request = URLRequest(url: endpoint.appendingPathComponent("ldedge-emulator/\(path)"))
        request.httpMethod = method
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
            throw Failure(description: "emulator control \(method) \(path) failed: \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }
}

/// A snapshot of the emulator's resources, for "rollback leaves the world as it was" checks.
public struct AWSInventory: Decodable, Equatable, Sendable {
    public struct Object: Decodable, Equatable, Sendable {
        public var etag: String
        public var size: Int
        public var contentType: String?
    }
    public struct Bucket: Decodable, Equatable, Sendable {
        public var objects: [String: Object]
        public var policy: String?
        public var publicAccessBlock: Bool
    }
    public struct Role: Decodable, Equatable, Sendable {
        public var arn: String
        public var trustPolicy: String?
        public var attachedPolicies: [String]
        public var inlinePolicies: [String: String]
    }
    public struct Function: Decodable, Equatable, Sendable {
        public var region: String
        public var codeSha256: String?
        public var versions: [String]
        public var runtime: String?
        public var memorySize: Int?
        public var timeout: Int?
    }
    public struct Association: Decodable, Equatable, Sendable {
        public var arn: String
        public var eventType: String
    }
    public struct Distribution: Decodable, Equatable, Sendable {
        public var status: String
        public var enabled: Bool
        public var etag: String
        public var callerReference: String
        public var config: String
        public var lambdaAssociations: [Association]
    }
    public struct OriginAccessControl: Decodable, Equatable, Sendable {
        public var name: String
    }

    public var buckets: [String: Bucket]
    public var roles: [String: Role]
    public var functions: [String: Function]
    public var distributions: [String: Distribution]
    public var originAccessControls: [String: OriginAccessControl]

    /// The same snapshot without fields that change on every write even when the content is restored
    /// (distribution ETags and deployment status), for before/after comparisons.
    public var ignoringVolatileFields: AWSInventory {
        var copy = self
        for key in copy.distributions.keys {
            copy.distributions[key]?.etag = ""
            copy.distributions[key]?.status = ""
        }
        return copy
    }

    /// Nothing at all exists.
    public var isEmpty: Bool {
        buckets.isEmpty && roles.isEmpty && functions.isEmpty && distributions.isEmpty && originAccessControls.isEmpty
    }
}

final class LockedBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ chunk: Data) {
        lock.lock()
        data.append(chunk)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    var firstLine: String? {
        let text = self.text
        guard let newline = text.firstIndex(of: "\n") else { return nil }
        return String(text[..<newline])
    }
}
