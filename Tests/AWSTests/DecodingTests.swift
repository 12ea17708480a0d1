@testable import AWS
import Foundation
import XCTest

final class DecodingTests: XCTestCase {
    func testUnknownFieldsAreIgnoredAndMissingOnesNamed() throws {
        let tolerant = Data(#"{"FunctionName":"f","FunctionArn":"arn:aws:lambda:us-east-1:1:function:f","Version":"3","SnapStart":{"ApplyOn":"None"},"NewField2030":[1,2]}"#.utf8)
        let configuration = try ResponseDecoding.json(LambdaFunctionConfiguration.self, from: tolerant, service: .lambda, operation: "GetFunctionConfiguration")
        XCTAssertEqual(configuration.versionArn, "arn:aws:lambda:us-east-1:1:function:f:3")

        let missing = Data(#"{"FunctionName":"f"}"#.utf8)
        XCTAssertThrowsError(try ResponseDecoding.json(LambdaFunctionConfiguration.self, from: missing, service: .lambda, operation: "GetFunctionConfiguration")) { error in
            guard case let AWSError.decoding(_, operation, field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(operation, "GetFunctionConfiguration")
            XCTAssertEqual(field, "FunctionArn")
            XCTAssertTrue("\(error)".contains("field FunctionArn"), "\(error)")
        }

        let role = Data("""
        <GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role><RoleName>r</RoleName><Arn>arn:aws:iam::1:role/r</Arn><Unknown>x</Unknown></Role></GetRoleResult></GetRoleResponse>
        """.utf8)
        XCTAssertThrowsError(try ResponseDecoding.xml(QueryEnvelope<RoleResult>.self, from: role, service: .iam, operation: "GetRole")) { error in
            guard case let AWSError.decoding(_, _, field, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(field.hasSuffix("RoleId"), field)
        }
    }

    func testIAMPolicyDocumentsAreURLDecoded() {
        XCTAssertEqual(IAMClient.decodePolicy("%7B%22Version%22%3A%222012-10-17%22%7D"), #"{"Version":"2012-10-17"}"#)
        XCTAssertEqual(IAMClient.decodePolicy(#"{"a":1}"#), #"{"a":1}"#)
    }

    func testTimestampsWithAndWithoutFractions() {
        XCTAssertNotNil(AWSTimestamp.parse("2026-11-27T05:08:38.123Z"))
        XCTAssertNotNil(AWSTimestamp.parse("2026-11-27T05:08:38Z"))
        XCTAssertNotNil(AWSTimestamp.parse("2026-11-27T05:08:38.123+0000"))
        XCTAssertNotNil(AWSTimestamp.parse("Fri, 27 Nov 2026 05:08:38 GMT"))
        XCTAssertNil(AWSTimestamp.parse("yesterday"))
    }

    func testXMLTreeRoundTripsEscapesAndOrder() throws {
        let text = #"<A xmlns="urn:x"><B>1 &amp; 2 &lt;3&gt;</B><C/><B>two</B><D k="v&quot;"> keep  spaces </D></A>"#
        let tree = try XMLTreeNode(parsing: Data(text.utf8))
        XCTAssertEqual(tree.elements.map(\.name), ["B", "C", "B", "D"])
        XCTAssertEqual(tree.child("D")?.text, " keep  spaces ")
        let reparsed = try XMLTreeNode(parsing: tree.xmlData())
        XCTAssertEqual(reparsed, tree)
        XCTAssertThrowsError(try XMLTreeNode(parsing: Data("<A><B></A>".utf8)))
    }
}
