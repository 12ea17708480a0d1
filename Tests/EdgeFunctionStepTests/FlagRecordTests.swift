import EdgeFunctionStep
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

final class FlagRecordTests: XCTestCase {
    func flag(_ json: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) }

    func testRolloutRecordIsCompact() throws {
        let rollout = try flag("""
            {"key":"rebrand","version":7,"on":true,"salt":"abc","variations":[true,false],"offVariation":1,
             "fallthrough":{"rollout":{"variations":[{"variation":0,"weight":50000},{"variation":1,"weight":50000}]}},
             "targets":[],"rules":[],"prerequisites":[]}
            """)
        XCTAssertEqual(try FlagRecord.make(rollout, key: "rebrand"),
                       #"{"v":7,"on":true,"off":1,"vals":[true,false],"r":{"salt":"abc","w":[[0,50000],[1,50000]]}}"#)
        XCTAssertEqual(FlagRecord.summary(try FlagRecord.make(rollout, key: "rebrand")), "on, rollout true 50.0% / false 50.0% (v7)")
    }

    func testSingleVariationAndOff() throws {
        let single = try flag(#"{"version":2,"on":true,"salt":"s","variations":[true,false],"offVariation":1,"fallthrough":{"variation":0}}"#)
        XCTAssertEqual(try FlagRecord.make(single, key: "f"), #"{"v":2,"on":true,"off":1,"vals":[true,false],"fall":0}"#)
        let off = try flag(#"{"version":3,"on":false,"salt":"s","variations":[true,false],"fallthrough":{"variation":0}}"#)
        XCTAssertEqual(try FlagRecord.make(off, key: "f"), #"{"v":3,"on":false,"off":null,"vals":[true,false],"fall":0}"#)
    }

    func testTargetingTheRecordCannotExpressIsRefusedNamingTheLambdaEdgeTarget() throws {
        let ruled = try flag("""
            {"version":1,"on":true,"salt":"s","variations":[true,false],"fallthrough":{"variation":0},
             "rules":[{"clauses":[],"variation":0}],"targets":[{"values":["a"],"variation":0}],"prerequisites":[{"key":"x","variation":0}]}
            """)
        XCTAssertEqual(FlagRecord.unsupported(ruled), ["targeting rules", "individual targets", "prerequisites"])
        XCTAssertThrowsError(try FlagRecord.make(ruled, key: "f")) { error in
            XCTAssertTrue("\(error)".contains("Lambda@Edge target (build-handler + package-zip + attach-trigger)"), "\(error)")
        }
        let bucketBy = try flag(#"{"version":1,"on":true,"variations":[true,false],"fallthrough":{"rollout":{"bucketBy":"country","variations":[{"variation":0,"weight":100000}]}}}"#)
        XCTAssertEqual(FlagRecord.unsupported(bucketBy).count, 1)
    }

    func testRecordOverOneKilobyteIsRefused() throws {
        let values = (0..<40).map { "\"variation value number \($0) with some padding\"" }.joined(separator: ",")
        let big = try flag(#"{"version":1,"on":true,"variations":[\#(values)],"fallthrough":{"variation":0}}"#)
        XCTAssertThrowsError(try FlagRecord.make(big, key: "f")) { XCTAssertTrue("\($0)".contains("at most 1024"), "\($0)") }
    }
}

/// The function itself, in Node.js: without a readable record every visitor goes on unchanged.
final class FunctionFallbackTests: XCTestCase {
    func testMissingOrUnreadableRecordSendsVisitorsOnUnchanged() throws {
        let script = EdgeFixtures.fixtures.appendingPathComponent("fallback_check.mjs")
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["node", script.path], in: EdgeFixtures.root)
        XCTAssertEqual(result.status, 0, result.stderr)
        let output = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        for name in ["missing", "unreadable", "wrongShape", "failingRead"] {
            XCTAssertEqual(output["results"]?[name]?.intValue, 100, "\(name): \(result.stdout)")
        }
        XCTAssertEqual(output["problems"]?.arrayValue?.count, 0, "the template uses only what cloudfront-js-2.0 provides")
        XCTAssertLessThan(output["bytes"]?.intValue ?? 10_241, 10_240)
    }
}
