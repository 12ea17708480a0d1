@testable import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

final class EC2ClientTests: EmulatorTestCase {
    func testDescribeRegionsListsUsEast1WithEndpoint() async throws {
        let regions = try await client.ec2.describeRegions()
        let east = try XCTUnwrap(regions.first { $0.name == "us-east-1" })
        XCTAssertEqual(east.endpoint, "ec2.us-east-1.amazonaws.com")
        XCTAssertGreaterThan(regions.count, 10)
        XCTAssertEqual(Set(regions.map(\.name)).count, regions.count, "region names are unique")
        XCTAssertTrue(recorder.events.allSatisfy { !$0.isMutating && $0.service == .ec2 })
    }

    func testDefaultVpcAndItsSubnets() async throws {
        let found = try await client.ec2.defaultVpc()
        let vpc = try XCTUnwrap(found)
        XCTAssertTrue(vpc.isDefault)
        XCTAssertTrue(vpc.vpcId.hasPrefix("vpc-"), vpc.vpcId)
        let all = try await client.ec2.describeVpcs()
        XCTAssertTrue(all.contains(vpc))

        let subnets = try await client.ec2.describeSubnets(vpcId: vpc.vpcId)
        XCTAssertFalse(subnets.isEmpty)
        XCTAssertTrue(subnets.allSatisfy { $0.vpcId == vpc.vpcId && $0.subnetId.hasPrefix("subnet-") && $0.defaultForAz })
        XCTAssertEqual(Set(subnets.compactMap(\.availabilityZone)).count, subnets.count, "one default subnet per zone")

        let other = try await client.ec2.describeSubnets(vpcId: "vpc-0123456789abcdef0")
        XCTAssertEqual(other, [])
    }

    func testMissingVpcIsNotFound() async throws {
        do {
            _ = try await client.ec2.describeVpcs(vpcIds: ["vpc-0000000000000dead"])
            XCTFail("expected InvalidVpcID.NotFound")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "InvalidVpcID.NotFound")
            XCTAssertTrue(error.isNotFound)
            XCTAssertTrue(error.description.contains("vpc-0000000000000dead"), error.description)
        }
    }

    func testFilterEncodingIsEC2Style() {
        let encoded = EC2Client.encode([EC2Filter("vpc-id", ["a"]), EC2Filter("state", ["available", "pending"])])
        XCTAssertEqual(encoded.map { "\($0.0)=\($0.1)" }, [
            "Filter.1.Name=vpc-id", "Filter.1.Value.1=a", "Filter.2.Name=state", "Filter.2.Value.1=available", "Filter.2.Value.2=pending",
        ])
    }
}
