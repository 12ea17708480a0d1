import Foundation

/// A function's configuration (GetFunctionConfiguration, CreateFunction, PublishVersion ...).
public struct LambdaFunctionConfiguration: Sendable, Equatable, Decodable {
    public var functionName: String
    public var functionArn: String
    public var runtime: String?
    public var role: String?
    public var handler: String?
    public var codeSize: Int?
    public var description: String?
    public var timeout: Int?
    public var memorySize: Int?
    public var lastModified: String?
    public var codeSha256: String?
    /// "$LATEST" or a version number.
    public var version: String?
    /// Pending, Active, Inactive, Failed.
    public var state: String?
    public var stateReason: String?
    public var stateReasonCode: String?
    /// InProgress, Successful, Failed.
    public var lastUpdateStatus: String?
    public var lastUpdateStatusReason: String?
    public var revisionId: String?
    public var packageType: String?
    public var architectures: [String]?
    public var environmentVariables: [String: String]?
    public var layerArns: [String]?

    enum CodingKeys: String, CodingKey {
        case functionName = "FunctionName", functionArn = "FunctionArn", runtime = "Runtime", role = "Role", handler = "Handler"
        case codeSize = "CodeSize", description = "Description", timeout = "Timeout", memorySize = "MemorySize"
        case lastModified = "LastModified", codeSha256 = "CodeSha256", version = "Version", state = "State"
        case stateReason = "StateReason", stateReasonCode = "StateReasonCode", lastUpdateStatus = "LastUpdateStatus"
        case lastUpdateStatusReason = "LastUpdateStatusReason", revisionId = "RevisionId", packageType = "PackageType"
        case architectures = "Architectures", environment = "Environment", layers = "Layers"
    }

    struct Environment: Decodable { let Variables: [String: String]? }
    struct Layer: Decodable { let Arn: String? }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        functionName = try c.decode(String.self, forKey: .functionName)
        functionArn = try c.decode(String.self, forKey: .functionArn)
        runtime = try c.decodeIfPresent(String.self, forKey: .runtime)
        role = try c.decodeIfPresent(String.self, forKey: .role)
        handler = try c.decodeIfPresent(String.self, forKey: .handler)
        codeSize = try c.decodeIfPresent(Int.self, forKey: .codeSize)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        timeout = try c.decodeIfPresent(Int.self, forKey: .timeout)
        memorySize = try c.decodeIfPresent(Int.self, forKey: .memorySize)
        lastModified = try c.decodeIfPresent(String.self, forKey: .lastModified)
        codeSha256 = try c.decodeIfPresent(String.self, forKey: .codeSha256)
        version = try c.decodeIfPresent(String.self, forKey: .version)
        state = try c.decodeIfPresent(String.self, forKey: .state)
        stateReason = try c.decodeIfPresent(String.self, forKey: .stateReason)
        stateReasonCode = try c.decodeIfPresent(String.self, forKey: .stateReasonCode)
        lastUpdateStatus = try c.decodeIfPresent(String.self, forKey: .lastUpdateStatus)
        lastUpdateStatusReason = try c.decodeIfPresent(String.self, forKey: .lastUpdateStatusReason)
        revisionId = try c.decodeIfPresent(String.self, forKey: .revisionId)
        packageType = try c.decodeIfPresent(String.self, forKey: .packageType)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        environmentVariables = try c.decodeIfPresent(Environment.self, forKey: .environment)?.Variables
        layerArns = try c.decodeIfPresent([Layer].self, forKey: .layers)?.compactMap(\.Arn)
    }

    /// The numbered version ARN CloudFront needs (nil for `$LATEST`).
    public var versionArn: String? {
        guard let version, version != "$LATEST" else { return nil }
        return functionArn.hasSuffix(":\(version)") ? functionArn : "\(functionArn):\(version)"
    }
}

/// GetFunction: configuration, code location and tags.
public struct LambdaFunction: Sendable, Equatable, Decodable {
    public var configuration: LambdaFunctionConfiguration
    public var codeLocation: String?
    public var tags: [String: String]?

    enum CodingKeys: String, CodingKey { case configuration = "Configuration", code = "Code", tags = "Tags" }
    struct Code: Decodable { let Location: String? }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        configuration = try c.decode(LambdaFunctionConfiguration.self, forKey: .configuration)
        codeLocation = try c.decodeIfPresent(Code.self, forKey: .code)?.Location
        tags = try c.decodeIfPresent([String: String].self, forKey: .tags)
    }
}

/// Inputs of CreateFunction (zip package).
public struct LambdaCreateFunctionRequest: Sendable {
    public var functionName: String
    public var runtime: String
    public var role: String
    public var handler: String
    public var zipFile: Data
    public var description: String?
    public var timeout: Int?
    public var memorySize: Int?
    public var publish: Bool
    public var architectures: [String]?
    public var tags: [String: String]

    public init(functionName: String, runtime: String, role: String, handler: String, zipFile: Data, description: String? = nil,
                timeout: Int? = nil, memorySize: Int? = nil, publish: Bool = false, architectures: [String]? = ["x86_64"], tags: [String: String] = [:]) {
        self.functionName = functionName
        self.runtime = runtime
        self.role = role
        self.handler = handler
        self.zipFile = zipFile
        self.description = description
        self.timeout = timeout
        self.memorySize = memorySize
        self.publish = publish
        self.architectures = architectures
        self.tags = tags
    }
}

/// Inputs of UpdateFunctionConfiguration; nil fields are left unchanged.
public struct LambdaFunctionConfigurationUpdate: Sendable {
    public var runtime: String?
    public var role: String?
    public var handler: String?
    public var description: String?
    public var timeout: Int?
    public var memorySize: Int?
    /// Only apply when the function is still at this revision.
    public var revisionId: String?

    public init(runtime: String? = nil, role: String? = nil, handler: String? = nil, description: String? = nil, timeout: Int? = nil, memorySize: Int? = nil, revisionId: String? = nil) {
        self.runtime = runtime
        self.role = role
        self.handler = handler
        self.description = description
        self.timeout = timeout
        self.memorySize = memorySize
        self.revisionId = revisionId
    }
}
