import Foundation

/// A region as EC2 lists it.
public struct EC2Region: Sendable, Equatable {
    public var name: String
    public var endpoint: String?
    /// `opt-in-not-required`, `opted-in` or `not-opted-in`.
    public var optInStatus: String?
}

/// A VPC.
public struct EC2Vpc: Sendable, Equatable {
    public var vpcId: String
    public var cidrBlock: String?
    public var isDefault: Bool
    public var state: String?
}

/// A subnet of a VPC.
public struct EC2Subnet: Sendable, Equatable {
    public var subnetId: String
    public var vpcId: String
    public var availabilityZone: String?
    public var cidrBlock: String?
    public var defaultForAz: Bool
    public var mapPublicIpOnLaunch: Bool
    public var state: String?
}

/// A `Filter.N.Name` / `Filter.N.Value.M` filter of the EC2 Describe calls.
public struct EC2Filter: Sendable, Equatable {
    public var name: String
    public var values: [String]
    public init(_ name: String, _ values: [String]) {
        self.name = name
        self.values = values
    }
}

extension AWSClient {
    public var ec2: EC2Client { EC2Client(self) }
}

/// EC2 read operations (the EC2 flavour of the query protocol, API 2016-11-15).
///
/// EC2 differs from IAM/STS: lists are `Name.N` (no `.member.`), answers have no
/// `<…Result>` wrapper and list items are `<item>` elements with lower-camel names.
public struct EC2Client: Sendable {
    public let client: AWSClient
    static let version = "2016-11-15"

    public init(_ client: AWSClient) { self.client = client }

    /// The regions enabled for the account (`allRegions` adds the ones not opted in).
    public func describeRegions(allRegions: Bool = false) async throws -> [EC2Region] {
        let parameters = allRegions ? [("AllRegions", "true")] : []
        let root = try await call("DescribeRegions", parameters, resource: nil)
        return root.child("regionInfo")?.elements.filter { $0.name == "item" }.compactMap { item in
            guard let name = item.optionalText("regionName") else { return nil }
            return EC2Region(name: name, endpoint: item.optionalText("regionEndpoint"), optInStatus: item.optionalText("optInStatus"))
        } ?? []
    }

    /// VPCs matching `filters` (all pages); `defaultOnly` adds the `is-default=true` filter.
    public func describeVpcs(vpcIds: [String] = [], filters: [EC2Filter] = [], defaultOnly: Bool = false) async throws -> [EC2Vpc] {
        var parameters: [(String, String)] = vpcIds.enumerated().map { ("VpcId.\($0.offset + 1)", $0.element) }
        parameters += Self.encode(filters + (defaultOnly ? [EC2Filter("is-default", ["true"])] : []))
        var vpcs: [EC2Vpc] = []
        try await paginate("DescribeVpcs", parameters, resource: vpcIds.isEmpty ? nil : "vpc \(vpcIds.joined(separator: ","))") { root in
            for item in root.child("vpcSet")?.elements ?? [] where item.name == "item" {
                let vpcId = try item.requiredText("vpcId", service: .ec2, operation: "DescribeVpcs", context: "vpcSet.item")
                vpcs.append(EC2Vpc(vpcId: vpcId, cidrBlock: item.optionalText("cidrBlock"),
                                   isDefault: item.optionalText("isDefault") == "true", state: item.optionalText("state")))
            }
        }
        return vpcs
    }

    /// The account's default VPC in the client's region, or nil when it has none.
    public func defaultVpc() async throws -> EC2Vpc? {
        try await describeVpcs(defaultOnly: true).first
    }

    /// The subnets of `vpcId` (all pages), sorted by availability zone then id.
    public func describeSubnets(vpcId: String, filters: [EC2Filter] = []) async throws -> [EC2Subnet] {
        let parameters = Self.encode([EC2Filter("vpc-id", [vpcId])] + filters)
        var subnets: [EC2Subnet] = []
        try await paginate("DescribeSubnets", parameters, resource: "vpc \(vpcId)") { root in
            for item in root.child("subnetSet")?.elements ?? [] where item.name == "item" {
                subnets.append(EC2Subnet(
                    subnetId: try item.requiredText("subnetId", service: .ec2, operation: "DescribeSubnets", context: "subnetSet.item"),
                    vpcId: item.optionalText("vpcId") ?? vpcId,
                    availabilityZone: item.optionalText("availabilityZone"),
                    cidrBlock: item.optionalText("cidrBlock"),
                    defaultForAz: item.optionalText("defaultForAz") == "true",
                    mapPublicIpOnLaunch: item.optionalText("mapPublicIpOnLaunch") == "true",
                    state: item.optionalText("state")
                ))
            }
        }
        return subnets.sorted { ($0.availabilityZone ?? "", $0.subnetId) < ($1.availabilityZone ?? "", $1.subnetId) }
    }

    // MARK: Helpers

    static func encode(_ filters: [EC2Filter]) -> [(String, String)] {
        var parameters: [(String, String)] = []
        for (index, filter) in filters.enumerated() {
            parameters.append(("Filter.\(index + 1).Name", filter.name))
            for (valueIndex, value) in filter.values.enumerated() {
                parameters.append(("Filter.\(index + 1).Value.\(valueIndex + 1)", value))
            }
        }
        return parameters
    }

    private func paginate(_ operation: String, _ parameters: [(String, String)], resource: String?, page: (XMLTreeNode) throws -> Void) async throws {
        var token: String?
        repeat {
            let root = try await call(operation, parameters + (token.map { [("NextToken", $0)] } ?? []), resource: resource)
            try page(root)
            token = nonEmpty(root.optionalText("nextToken"))
        } while token != nil
    }

    private func call(_ operation: String, _ parameters: [(String, String)], resource: String?) async throws -> XMLTreeNode {
        let response = try await client.queryCall(.ec2, operation: operation, version: Self.version, parameters: parameters,
                                                  resource: resource, mutating: false)
        do {
            return try XMLTreeNode(parsing: response.body)
        } catch {
            throw AWSError.decoding(service: .ec2, operation: operation, field: "(document)", detail: "\(error)")
        }
    }
}
