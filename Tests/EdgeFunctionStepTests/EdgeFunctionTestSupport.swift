import AWS
import Foundation
import LDEdgeTestSupport
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Paths and emulator helpers the edge-function tests share.
enum EdgeFixtures {
    static var root: URL { LDSandboxFixture.repositoryRoot }
    static var fixtures: URL { root.appendingPathComponent("Tests/EdgeFunctionStepTests/Fixtures") }

    /// Tells the emulator the test credentials' secret, so it verifies every SigV4A signature with awscrt.
    static func verifySigV4A(_ emulator: AWSEmulator) async throws {
        _ = try await control(emulator, "POST", "sigv4a", body: ["secrets": [AWSEmulator.credentials.accessKeyId: AWSEmulator.credentials.secretAccessKey]])
    }

    /// The emulator's SigV4A counts: verified, mismatches, unchecked.
    static func sigV4ACounts(_ emulator: AWSEmulator) async throws -> [String: Int] {
        (try JSONSerialization.jsonObject(with: try await control(emulator, "GET", "sigv4a")) as? [String: Int]) ?? [:]
    }

    /// The emulator's CloudFront Functions and KeyValueStores.
    static func inventory(_ emulator: AWSEmulator) async throws -> (functions: [String: Any], stores: [String: Any]) {
        let object = try JSONSerialization.jsonObject(with: try await control(emulator, "GET", "inventory")) as? [String: Any]
        return (object?["cloudFrontFunctions"] as? [String: Any] ?? [:], object?["keyValueStores"] as? [String: Any] ?? [:])
    }

    static func control(_ emulator: AWSEmulator, _ method: String, _ path: String, body: [String: Any]? = nil) async throws -> Data {
        var request = URLRequest(url: emulator.endpoint.appendingPathComponent("ldedge-emulator/\(path)"))
        request.httpMethod = method
        if let body { request.httpBody = try JSONSerialization.data(withJSONObject: body) }
        let (data, _) = try await URLSession.shared.data(for: request)
        return data
    }

    /// Runs python3 with `arguments`; fails the test on a non-zero exit.
    static func python(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + arguments, in: root)
        XCTAssertEqual(result.status, 0, "python3 \(arguments.joined(separator: " ")):\n\(result.stdout)\n\(result.stderr)", file: file, line: line)
        return result
    }
}
