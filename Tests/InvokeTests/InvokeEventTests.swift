import BuiltinSteps
import Archive
import Foundation
import Invoke
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// CloudFront event and response shapes, package lookup errors, and `--event` output.
final class InvokeEventTests: XCTestCase {
    func testViewerRequestEventHasCloudFrontShape() throws {
        var request = ViewerRequest(clientIp: "198.51.100.9", uri: "/site/a.html", querystring: "x=1")
        request.headers = [("Cookie", "a=1"), ("cookie", "b=2"), ("X-Visitor", "v")]
        let event = request.event
        guard case .array(let records) = event["Records"] ?? .null, let cf = records.first?["cf"] else { return XCTFail("\(event)") }
        XCTAssertEqual(cf["config"]?["eventType"], .string("viewer-request"))
        XCTAssertNotNil(cf["config"]?["distributionId"]?.stringValue)
        let body = try XCTUnwrap(cf["request"])
        XCTAssertEqual(body["clientIp"], .string("198.51.100.9"))
        XCTAssertEqual(body["querystring"], .string("x=1"), "without '?'")
        guard case .array(let cookies) = body["headers"]?["cookie"] ?? .null else { return XCTFail("\(body)") }
        XCTAssertEqual(cookies.map { $0["value"] }, [.string("a=1"), .string("b=2")], "lower-cased key, original case kept in 'key'")
        XCTAssertEqual(cookies.first?["key"], .string("Cookie"))
        XCTAssertEqual(body["headers"]?["x-visitor"].map { _ in true }, true)
    }

    func testHeaderOptionParsing() {
        XCTAssertTrue(ViewerRequest.header("Cookie: visitor=abc")! == ("Cookie", "visitor=abc"))
        XCTAssertTrue(ViewerRequest.header("X-A:b:c")! == ("X-A", "b:c"))
        XCTAssertNil(ViewerRequest.header("no colon"))
        XCTAssertNil(ViewerRequest.header(": value"))
    }

    func testResponsesAreClassifiedAsOldOrNewSite() {
        let redirect: JSONValue = .object([
            "status": .string("302"), "statusDescription": .string("Found"),
            "headers": .object(["location": .array([.object(["key": .string("Location"), "value": .string("/site/beta/index.html?a=1")])])]),
        ])
        XCTAssertEqual(HandlerResponse(redirect), .respond(status: "302", location: "/site/beta/index.html?a=1"))
        XCTAssertTrue(HandlerResponse(redirect).servesNewSite(newPrefix: "/site/beta/"))
        let forward: JSONValue = .object(["uri": .string("/site/index.html"), "querystring": .string("")])
        XCTAssertFalse(HandlerResponse(forward).servesNewSite(newPrefix: "/site/beta/"))
        XCTAssertTrue(HandlerResponse(.object(["uri": .string("/site/beta/index.html")])).servesNewSite(newPrefix: "/site/beta/"))
    }

    func testSampleEventAndUnknownEventName() throws {
        let text = try InvokeService().sampleEvent("cloudfront-viewer-request")
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        XCTAssertEqual(decoded, ViewerRequest().event)
        XCTAssertThrowsError(try InvokeService().sampleEvent("s3-put")) { error in
            XCTAssertTrue("\(error)".contains("cloudfront-viewer-request"), "\(error)")
        }
    }

    func testPackageLookupExplainsWhatToDo() throws {
        let root = try HandlerFixtures.scratchDirectory("invoke-locate")
        defer { try? FileManager.default.removeItem(at: root) }
        let locator = PackageLocator(stateRoot: root.appendingPathComponent(".ldedge"), registry: .builtin)
        XCTAssertThrowsError(try locator.workflowName(nil)) { XCTAssertTrue("\($0)".contains("ldedge deploy"), "\($0)") }
        XCTAssertThrowsError(try locator.locate(workflow: "rebrand")) { XCTAssertTrue("\($0)".contains("no recorded state"), "\($0)") }
        let workflow = root.appendingPathComponent("w.yaml")
        try "name: rebrand\nsteps: []\n".write(to: workflow, atomically: true, encoding: .utf8)
        XCTAssertEqual(try locator.workflowName(workflow.path), "rebrand", "the name is read without resolving secrets")
    }

    func testSplitMix64IsRepeatable() {
        var a = SplitMix64(seed: 7)
        var b = SplitMix64(seed: 7)
        XCTAssertEqual((0..<5).map { _ in a.next() }, (0..<5).map { _ in b.next() })
    }
}
