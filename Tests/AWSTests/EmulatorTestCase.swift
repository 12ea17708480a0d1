import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

/// Base class: a reset emulator and a client for every test.
class EmulatorTestCase: XCTestCase {
    var emulator: AWSEmulator!
    var client: AWSClient!
    var recorder: AWSRequestRecorder!

    override func setUp() async throws {
        try await super.setUp()
        emulator = try await AWSEmulator.shared()
        try await emulator.reset()
        recorder = AWSRequestRecorder()
        client = emulator.client(observer: recorder)
    }

    static let edgeTrustPolicy = """
    {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","edgelambda.amazonaws.com"]},"Action":"sts:AssumeRole"}]}
    """

    /// A tiny valid zip holding index.py (stored, no compression), built in memory.
    static func handlerZip(_ source: String = "def handler(event, context):\n    return event['Records'][0]['cf']['request']\n") -> Data {
        ZipBuilder.single(name: "index.py", contents: Data(source.utf8))
    }

    func createEdgeFunction(name: String = "edge-router", memory: Int = 128, timeout: Int = 5, role: String = "edge-role") async throws -> LambdaFunctionConfiguration {
        let roleArn = try await client.iam.createRole(name: role, assumeRolePolicyDocument: Self.edgeTrustPolicy).arn
        let created = try await client.lambda.createFunction(LambdaCreateFunctionRequest(
            functionName: name, runtime: "python3.12", role: roleArn, handler: "index.handler",
            zipFile: Self.handlerZip(), timeout: timeout, memorySize: memory))
        try await client.lambda.waitUntilActive(name: name, pollInterval: 0.05)
        return created
    }
}

/// Writes a one-entry zip archive (method 0, stored) so tests need no zip tool.
enum ZipBuilder {
    static func single(name: String, contents: Data) -> Data {
        let crc = CRC32.checksum(contents)
        let nameBytes = Data(name.utf8)
        var local = Data()
        local.appendLE(UInt32(0x0403_4B50)); local.appendLE(UInt16(20)); local.appendLE(UInt16(0)); local.appendLE(UInt16(0))
        local.appendLE(UInt16(0)); local.appendLE(UInt16(0x21))  // time, date (1980-01-01)
        local.appendLE(crc); local.appendLE(UInt32(contents.count)); local.appendLE(UInt32(contents.count))
        local.appendLE(UInt16(nameBytes.count)); local.appendLE(UInt16(0))
        local.append(nameBytes); local.append(contents)
        var central = Data()
        central.appendLE(UInt32(0x0201_4B50)); central.appendLE(UInt16(20)); central.appendLE(UInt16(20)); central.appendLE(UInt16(0))
        central.appendLE(UInt16(0)); central.appendLE(UInt16(0)); central.appendLE(UInt16(0x21))
        central.appendLE(crc); central.appendLE(UInt32(contents.count)); central.appendLE(UInt32(contents.count))
        central.appendLE(UInt16(nameBytes.count)); central.appendLE(UInt16(0)); central.appendLE(UInt16(0))
        central.appendLE(UInt16(0)); central.appendLE(UInt16(0)); central.appendLE(UInt32(0o100644 << 16)); central.appendLE(UInt32(0))
        central.append(nameBytes)
        var end = Data()
        end.appendLE(UInt32(0x0605_4B50)); end.appendLE(UInt16(0)); end.appendLE(UInt16(0)); end.appendLE(UInt16(1)); end.appendLE(UInt16(1))
        end.appendLE(UInt32(central.count)); end.appendLE(UInt32(local.count)); end.appendLE(UInt16(0))
        return local + central + end
    }
}

enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
    static func checksum(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in data { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

extension Data {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
