import AWS
import Foundation
import LDEdgeApp
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// `Step.drift` of the AWS steps: out-of-band changes through the AWS APIs show in the plan's
/// drift section and in `Engine.drift` (status --drift), naming the resource, field, recorded and actual.
final class DriftTests: AWSStepsTestCase {
    func testDistributionAndFunctionChangesOutOfBandAreDrift() async throws {
        try writeSite()
        try writeZip()
        let workflow = try load(rolloutWorkflow())
        let report = try await engine().deploy(workflow)
        let clean = try await engine().plan(workflow)
        XCTAssertEqual(clean.drift, [])

        let distribution = try XCTUnwrap(report.outputs["cdn"]?["id"])
        let function = try XCTUnwrap(report.outputs["edge"]?["functionArn"])
        let client = emulator.client()
        try await client.cloudFront.updateDistribution(id: distribution) { $0.priceClass = "PriceClass_200" }
        var update = LambdaFunctionConfigurationUpdate()
        update.memorySize = 256
        _ = try await client.lambda.updateFunctionConfiguration(name: function, update)
        try await Task.sleep(nanoseconds: 400_000_000)

        let plan = try await engine().plan(workflow)
        let fields = Set(plan.drift.map { "\($0.step) \($0.resource) \($0.field) \($0.recorded ?? "") -> \($0.actual ?? "")" })
        XCTAssertTrue(fields.contains("cdn distribution \(distribution) PriceClass PriceClass_100 -> PriceClass_200"), "\(fields)")
        XCTAssertTrue(fields.contains { $0.hasPrefix("edge function rollout-edge MemorySize 128 -> 256") }, "\(fields)")
        let recorded = try await engine().drift(workflow: "rollout")
        XCTAssertEqual(Set(recorded), Set(plan.drift))
        XCTAssertTrue(PlanRenderer(colors: false).render(plan).contains("Drift (changed outside ldedge"))
    }
}
