@testable import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

/// Signs 300 generated requests with ldedge and with botocore's SigV4Auth/S3SigV4Auth
/// and requires byte-for-byte identical Authorization headers.
final class SigV4DifferentialTests: XCTestCase {
    struct Generated {
        var service: String
        var region: String
        var request: SignableRequest
        var url: String
        var credentials: AWSCredentials
        var date: Date
    }

    func testAuthorizationHeadersMatchBotocore() throws {
        var rng = SplitMix64(seed: 0x1DED6E)
        let cases = (0..<300).map { _ in generate(&rng) }
        let specs: [[String: Any]] = cases.map { c in
            var spec: [String: Any] = [
                "method": c.request.method, "url": c.url, "headers": c.request.headers.map { [$0.0, $0.1] },
                "bodyBase64": c.request.body.base64EncodedString(), "service": c.service, "region": c.region,
                "accessKeyId": c.credentials.accessKeyId, "secretAccessKey": c.credentials.secretAccessKey,
                "timestamp": SigV4Signer.amzDate(c.date),
            ]
            if let token = c.credentials.sessionToken { spec["sessionToken"] = token }
            return spec
        }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("sigv4-diff-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: specs).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let output = try runPython(["scripts/aws-emulator/sigv4_reference.py", input.path])
        let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: output) as? [String])
        XCTAssertEqual(expected.count, cases.count)
        var mismatches = 0
        for (index, (c, reference)) in zip(cases, expected).enumerated() {
            let ours = SigV4Signer(service: c.service, region: c.region).sign(c.request, credentials: c.credentials, date: c.date)
            if ours.authorization != reference {
                mismatches += 1
                if mismatches <= 5 {
                    XCTFail("case \(index) \(c.request.method) \(c.url)\n ours:     \(ours.authorization)\n botocore: \(reference)\n canonical:\n\(ours.canonicalRequest)")
                }
            }
        }
        XCTAssertEqual(mismatches, 0, "\(mismatches) of \(cases.count) Authorization headers differ from botocore")
    }

    func testPresignedSignaturesMatchBotocore() throws {
        var rng = SplitMix64(seed: 0x9E5167)
        var specs: [[String: Any]] = []
        var ours: [String] = []
        for _ in 0..<60 {
            var generated = generate(&rng)
            generated.service = "s3"
            generated.request.headers = []
            generated.request.body = Data()
            generated.request.method = ["GET", "PUT"][rng.int(2)]
            var seen = Set<String>()
            generated.request.query = generated.request.query.filter { seen.insert($0.0).inserted && !$0.0.hasPrefix("X-Amz") }
            let expires = [60, 900, 3600, 604_800][rng.int(4)]
            let url = generated.url.components(separatedBy: "?")[0] + AWSClient.queryString(generated.request.query)
            var spec: [String: Any] = [
                "method": generated.request.method, "url": url, "headers": [[String]](), "bodyBase64": "", "service": "s3",
                "region": generated.region, "accessKeyId": generated.credentials.accessKeyId,
                "secretAccessKey": generated.credentials.secretAccessKey, "timestamp": SigV4Signer.amzDate(generated.date), "presignExpires": expires,
            ]
            if let token = generated.credentials.sessionToken { spec["sessionToken"] = token }
            specs.append(spec)
            let query = SigV4Signer(service: "s3", region: generated.region)
                .presignedQuery(generated.request, credentials: generated.credentials, date: generated.date, expires: expires)
            ours.append(query.last?.1 ?? "")
        }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("sigv4-presign-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: specs).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: try runPython(["scripts/aws-emulator/sigv4_reference.py", input.path])) as? [String])
        XCTAssertEqual(ours, reference)
    }

    // MARK: Generation

    let services = ["s3", "iam", "lambda", "cloudfront", "sts", "execute-api"]
    let regions = ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2"]
    let methods = ["GET", "PUT", "POST", "DELETE", "HEAD"]
    let segmentAlphabet = Array("abcXYZ019-_.~ +%ü€ሴ!$&'()*,;=:@")
    let queryAlphabet = Array("abcXYZ019-_.~ +/%?=&ü#@")
    let headerNames = ["X-Amz-Meta-Color", "Content-Type", "My-Header", "x-custom", "Cache-Control", "X-Amz-Target", "User-Agent", "Expect", "Range"]

    func generate(_ rng: inout SplitMix64) -> Generated {
        let service = services[rng.int(services.count)]
        let region = regions[rng.int(regions.count)]
        let method = methods[rng.int(methods.count)]
        let scheme = rng.int(2) == 0 ? "https" : "http"
        let port = [nil, 443, 80, 4566, 5000][rng.int(5)]
        let defaultPort = scheme == "https" ? 443 : 80
        let baseHost = service == "s3" ? "bucket-\(rng.int(100)).s3.\(region).amazonaws.com" : "\(service).\(region).amazonaws.com"
        let host = port.map { $0 == defaultPort ? baseHost : "\(baseHost):\($0)" } ?? baseHost

        var segments: [String] = []
        for _ in 0..<rng.int(5) {
            switch rng.int(8) {
            case 0: segments.append("")  // repeated slash
            case 1 where service != "s3": segments.append(["." , ".."][rng.int(2)])
            default: segments.append(String((0..<(1 + rng.int(10))).map { _ in segmentAlphabet[rng.int(segmentAlphabet.count)] }))
            }
        }
        var path = "/" + segments.map { URIEncoding.encodeKey($0) }.joined(separator: "/")
        if rng.int(4) == 0 && !segments.isEmpty { path += "/" }

        var query: [(String, String)] = []
        for _ in 0..<rng.int(4) {
            let key = String((0..<(1 + rng.int(6))).map { _ in queryAlphabet[rng.int(queryAlphabet.count)] })
            let value = String((0..<rng.int(8)).map { _ in queryAlphabet[rng.int(queryAlphabet.count)] })
            query.append((key, value))
            if rng.int(5) == 0 { query.append((key, value + "2")) }  // repeated key, sorted by value
        }

        var headers: [(String, String)] = []
        for _ in 0..<rng.int(5) {
            let name = headerNames[rng.int(headerNames.count)]
            let cased = rng.int(2) == 0 ? name : name.lowercased()
            let value = ["  padded  value ", "a   b\tc", "plain", "UPPER lower", "x=1; y=2", "", "tab\tseparated  words"][rng.int(7)]
            headers.append((cased, value))
        }
        if service != "s3" && rng.int(6) == 0 {
            headers.append(("X-Amz-Content-SHA256", SigV4Signer.unsignedPayload))
        }
        let body = Data((0..<(rng.int(3) == 0 ? 0 : rng.int(300))).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        let token: String? = rng.int(3) == 0 ? "FwoGZXIvYXdzE" + String(rng.next(), radix: 36) + "/+=" : nil
        let credentials = AWSCredentials(accessKeyId: "AKIA\(String(rng.next() % 1_000_000_000, radix: 10))", secretAccessKey: "s3cr3t/" + String(rng.next(), radix: 36) + "+Key", sessionToken: token)
        let date = Date(timeIntervalSince1970: TimeInterval(1_262_304_000 + Int(rng.next() % 631_152_000)))
        let url = "\(scheme)://\(host)\(path)" + AWSClient.queryString(query)
        return Generated(service: service, region: region,
                         request: SignableRequest(method: method, host: host, encodedPath: path, query: query, headers: headers, body: body),
                         url: url, credentials: credentials, date: date)
    }
}

/// A small deterministic generator so failures reproduce.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Runs `python3 ARGS` from the package root and returns stdout; fails with an install hint.
func runPython(_ arguments: [String]) throws -> Data {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    process.currentDirectoryURL = root
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw AWSEmulator.Failure(description: "python3 \(arguments.joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self))\n"
            + "Install the test dependencies: python3 -m pip install -r scripts/requirements.txt")
    }
    return data
}
