import AWS
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// Lambda@Edge rules: input checks with locations before anything runs, world checks at plan time.
final class AttachTriggerTests: AWSStepsTestCase {
    func triggerWorkflow(_ extra: String, distribution: String = "E000000000000") -> String {
        """
        name: edge
        steps:
          - id: edge
            uses: attach-trigger
            with:
              zip: handler.zip
              functionName: edge-fn
              distribution: \(distribution)\(extra.isEmpty ? "" : "\n" + extra.split(separator: "\n").map { "      \($0)" }.joined(separator: "\n"))

        """
    }

    func loadErrors(_ yaml: String) -> [String] {
        do {
            _ = try load(yaml)
            return []
        } catch let error as DiagnosticsError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    func testInputRulesAreReportedWithLocations() throws {
        let errors = loadErrors(triggerWorkflow("""
            region: us-west-2
            memory: 256
            timeout: 10
            environment:
              SDK_KEY: abc
            layers: [arn:aws:lambda:us-east-1:123456789012:layer:deps:1]
            architecture: arm64
            """))
        let text = errors.joined(separator: "\n")
        for expected in ["workflow.yaml:9:", "must live in us-east-1", "exactly 128 MB", "at most 5 s", "environment variables",
                         "does not allow layers", "x86_64 only"] {
            XCTAssertTrue(text.contains(expected), "missing '\(expected)' in:\n\(text)")
        }
    }

    func testRulesOfAStepFedByEarlierOutputsAreCheckedBeforeAnyChange() async throws {
        try writeSite()
        try writeZip()
        do {
            _ = try await engine().deploy(try load(rolloutWorkflow(extraTrigger: "\n      memory: 256\n      environment:\n        KEY: value")))
            XCTFail("deploy must refuse a broken Lambda@Edge rule")
        } catch let error as DiagnosticsError {
            // Literal values are checked offline when the file loads, even in a step fed by outputs.
            let text = error.diagnostics.map(\.description).joined(separator: "\n")
            XCTAssertTrue(text.contains("exactly 128 MB") && text.contains("environment variables"), text)
        }
        let calls1 = try await emulator.mutatingCalls()
        XCTAssertEqual(calls1, [], "nothing is created when a Lambda@Edge rule is broken")
    }

    func testLatestAndAliasReferencesAndOtherRuntimesAreRefused() throws {
        XCTAssertTrue(loadErrors(triggerWorkflow("").replacingOccurrences(of: "edge-fn", with: "edge-fn:$LATEST")).joined().contains("cannot run $LATEST"))
        XCTAssertTrue(loadErrors(triggerWorkflow("").replacingOccurrences(of: "edge-fn", with: "edge-fn:live")).joined().contains("numbered version"))
        XCTAssertFalse(loadErrors(triggerWorkflow("runtime: ruby3.3")).isEmpty)
        XCTAssertEqual(loadErrors(triggerWorkflow("eventType: origin-request\nmemory: 1024\ntimeout: 30")), [])
    }

    func testPlanFindsMissingDistributionOversizedZipAndUntrustedRole() async throws {
        try writeZip(padding: 1_200_000)
        let iam = emulator.client().iam
        let role = try await iam.createRole(name: "lambda-only", assumeRolePolicyDocument: """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}
            """)
        try await emulator.clearCalls()
        let plan = try await engine().plan(try load(triggerWorkflow("role: \(role.arn)")))
        let findings = plan.allFindings.map(\.description).joined(separator: "\n")
        XCTAssertTrue(findings.contains("distribution E000000000000 does not exist"), findings)
        XCTAssertTrue(findings.contains("viewer-request functions may be at most 1.00 MB"), findings)
        XCTAssertTrue(findings.contains("edgelambda.amazonaws.com"), findings)
        let calls2 = try await emulator.mutatingCalls()
        XCTAssertEqual(calls2, [])
        do {
            _ = try await engine().deploy(try load(triggerWorkflow("role: \(role.arn)")))
            XCTFail("deploy must refuse a plan with errors")
        } catch let error as EngineError {
            guard case .planHasErrors = error else { return XCTFail("\(error)") }
        }
        let calls3 = try await emulator.mutatingCalls()
        XCTAssertEqual(calls3, [], "nothing is uploaded when a Lambda@Edge rule is broken")
    }

    func testKeepsOtherAssociationsAndRestoresThePreviousOneOnTeardown() async throws {
        try await emulator.configure(replicaReleaseSeconds: 0)
        try writeSite()
        try writeZip()
        // An existing distribution with someone else's viewer-response function, adopted by id.
        let client = emulator.client()
        _ = try await engine(stateRoot: ".ldedge-setup").deploy(try load(rolloutWorkflow(), file: "setup.yaml"))
        let setup = try state("rollout", stateRoot: ".ldedge-setup")
        let distributionID = try XCTUnwrap(setup.steps["cdn"]?.outputs["id"])
        let otherArn = try XCTUnwrap(setup.steps["edge"]?.outputs["versionArn"])
        try await client.cloudFront.updateDistribution(id: distributionID) { config in
            try config.setLambdaFunctionAssociation(otherArn, eventType: .viewerResponse)
            try config.setLambdaFunctionAssociation(nil, eventType: .viewerRequest)
        }
        let before = try await emulator.inventory().ignoringVolatileFields
        let yaml = triggerWorkflow("pollInterval: 0.1", distribution: distributionID).replacingOccurrences(of: "edge-fn", with: "second-fn")
        let report = try await engine().deploy(try load(yaml))
        let associations = try await emulator.inventory().distributions[distributionID]?.lambdaAssociations ?? []
        XCTAssertEqual(Set(associations.map(\.eventType)), ["viewer-request", "viewer-response"])
        XCTAssertTrue(associations.contains { $0.arn == otherArn && $0.eventType == "viewer-response" })
        XCTAssertTrue(associations.contains { $0.arn == report.outputs["edge"]?["versionArn"] && $0.eventType == "viewer-request" })
        _ = try await engine().teardown(workflow: "edge")
        let after = try await emulator.inventory().ignoringVolatileFields
        XCTAssertEqual(after, before)
    }

    /// Someone changed the distribution between our read and our write: re-read, re-apply the one change.
    func testPreconditionFailedIsRetriedWithTheMinimalChange() async throws {
        try writeSite()
        try writeZip()
        try await emulator.injectFault(service: "cloudfront", operation: "UpdateDistribution", skip: 0, status: 412, code: "PreconditionFailed",
                                       message: "The If-Match version is missing or not valid for the resource.")
        let report = try await engine().deploy(try load(rolloutWorkflow()))
        let operations = try await emulator.mutatingCalls().map(\.operation)
        XCTAssertEqual(operations.filter { $0 == "UpdateDistribution" }.count, 2, "one refused, one accepted")
        let associations = try await emulator.inventory().distributions[report.outputs["cdn"]?["id"] ?? ""]?.lambdaAssociations ?? []
        XCTAssertEqual(associations.map(\.arn), [report.outputs["edge"]?["versionArn"] ?? ""])
    }
}
