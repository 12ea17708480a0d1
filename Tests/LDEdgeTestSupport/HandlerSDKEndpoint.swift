import Foundation

/// A minimal LaunchDarkly SDK polling endpoint (scripts/handler-runner/sdk_endpoint.py) serving
/// one boolean flag with a percentage rollout, for handler tests until `ldedge sandbox` lands.
/// The real `launchdarkly-server-sdk` inside the packaged handler is its client.
public final class HandlerSDKEndpoint: @unchecked Sendable {
    public let sdkKey: String
    public let dataFile: URL
    public private(set) var port = 0
    private let process = Process()

    public var baseURI: String { "http://127.0.0.1:\(port)" }

    /// Starts the endpoint with `flag` rolled out to `newPercent`% (variation `true`).
    public init(flag: String = "rebrand", newPercent: Double = 50, sdkKey: String = "sdk-ldedge-test-0123456789abcdef") throws {
        self.sdkKey = sdkKey
        dataFile = FileManager.default.temporaryDirectory.appendingPathComponent("ldedge-sdk-data-\(UUID().uuidString).json")
        try Self.flagData(flag: flag, newPercent: newPercent).write(to: dataFile)
        let script = HandlerFixtures.repositoryRoot.appendingPathComponent("scripts/handler-runner/sdk_endpoint.py")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--data", dataFile.path, "--sdk-key", sdkKey]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        // The first line is {"port": N}.
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0A]) { break }
            line.append(byte)
        }
        struct Ready: Decodable { var port: Int }
        port = try JSONDecoder().decode(Ready.self, from: line).port
    }

    deinit { stop() }

    /// Changes the rollout; the SDK sees it on its next poll (a fresh runner polls at start).
    public func setRollout(flag: String = "rebrand", newPercent: Double) throws {
        try Self.flagData(flag: flag, newPercent: newPercent).write(to: dataFile, options: .atomic)
    }

    /// Request counts: `polls`, `events` (analytics events received), `unauthorized`.
    public func stats() throws -> [String: Int] {
        let data = try Data(contentsOf: URL(string: "\(baseURI)/_stats")!)
        return try JSONDecoder().decode([String: Int].self, from: data)
    }

    public func stop() {
        // SIGKILL: a child started from a dispatch worker thread inherits its blocked SIGTERM.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dataFile)
    }

    /// The `/sdk/latest-all` document: `flag` on, falling through to a rollout between false and true.
    public static func flagData(flag: String, newPercent: Double) throws -> Data {
        let newWeight = Int((newPercent * 1000).rounded())
        let document: [String: Any] = [
            "flags": [
                flag: [
                    "key": flag, "version": 1, "on": true, "salt": "\(flag)-salt", "variations": [false, true],
                    "offVariation": 0,
                    "fallthrough": ["rollout": ["variations": [["variation": 0, "weight": 100_000 - newWeight], ["variation": 1, "weight": newWeight]]]],
                    "targets": [], "contextTargets": [], "rules": [], "prerequisites": [], "trackEvents": false,
                    "clientSideAvailability": ["usingEnvironmentId": false, "usingMobileKey": false],
                ] as [String: Any]
            ],
            "segments": [String: Any](),
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
    }
}
