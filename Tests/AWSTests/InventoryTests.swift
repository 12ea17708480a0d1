import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

final class InventoryTests: EmulatorTestCase {
    /// Restoring a distribution's previous config makes the inventory equal again (ignoring ETag/status).
    func testRestoredDistributionCompareEqual() async throws {
        try await client.s3.createBucket("site")
        let config = try DistributionConfig.s3Origin(callerReference: "inv-1", comment: "before", bucketDomainName: "site.s3.us-east-1.amazonaws.com", originAccessControlId: nil)
        let created = try await client.cloudFront.createDistribution(config)
        let before = try await emulator.inventory()
        try await client.cloudFront.updateDistribution(id: created.id) { $0.comment = "during" }
        let during = try await emulator.inventory()
        XCTAssertNotEqual(during.ignoringVolatileFields, before.ignoringVolatileFields)
        try await client.cloudFront.updateDistribution(id: created.id) { $0 = config }
        let after = try await emulator.inventory()
        XCTAssertEqual(after.ignoringVolatileFields, before.ignoringVolatileFields)
        XCTAssertNotEqual(after.distributions[created.id]?.etag, before.distributions[created.id]?.etag)
    }
}
