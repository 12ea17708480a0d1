import Foundation
import Logging

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optional `AWS_SESSION_TOKEN`.
public struct EnvironmentCredentialProvider: AWSCredentialProvider {
    public let environment: [String: String]
    public var name: String { "environment variables" }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func credentials() async throws -> AWSCredentials {
        let id = nonEmpty(environment["AWS_ACCESS_KEY_ID"])
        let secret = nonEmpty(environment["AWS_SECRET_ACCESS_KEY"])
        switch (id, secret) {
        case (nil, nil):
            throw CredentialError.notConfigured(source: name, reason: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        case (nil, _):
            throw CredentialError.invalid(source: name, reason: "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
        case (_, nil):
            throw CredentialError.invalid(source: name, reason: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        case let (id?, secret?):
            return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: nonEmpty(environment["AWS_SESSION_TOKEN"]), source: name)
        }
    }
}

/// Where and how STS is called when a provider needs temporary credentials.
public struct STSCredentialContext: Sendable {
    public var region: String
    public var endpoint: URL?
    public var logger: Logger

    public init(region: String, endpoint: URL? = nil, logger: Logger = Logger(label: "ldedge.aws")) {
        self.region = region
        self.endpoint = endpoint
        self.logger = logger
    }

    func client(credentials: any AWSCredentialProvider) -> STSClient {
        STSClient(AWSClient(configuration: AWSConfiguration(
            region: region, credentialProvider: credentials, endpointURL: endpoint, logger: logger
        )))
    }
}

/// `AssumeRoleWithWebIdentity` with a token read from a file (GitHub Actions OIDC, EKS).
///
/// The token file is re-read on every refresh because the issuer rotates it.
public struct WebIdentityCredentialProvider: AWSCredentialProvider {
    public let roleArn: String
    public let tokenFile: String
    public let sessionName: String
    public let sts: STSCredentialContext
    public var name: String { "web identity (role \(roleArn), token file \(tokenFile))" }

    public init(roleArn: String, tokenFile: String, sessionName: String? = nil, sts: STSCredentialContext) {
        self.roleArn = roleArn
        self.tokenFile = tokenFile
        self.sessionName = sessionName ?? "ldedge-\(Int(Date().timeIntervalSince1970))"
        self.sts = sts
    }

    public func credentials() async throws -> AWSCredentials {
        let token: String
        do {
            token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw CredentialError.invalid(source: name, reason: "cannot read the token file: \(error.localizedDescription)")
        }
        guard !token.isEmpty else { throw CredentialError.invalid(source: name, reason: "the token file is empty") }
        let client = sts.client(credentials: StaticCredentialProvider(accessKeyId: "", secretAccessKey: ""))
        let result = try await client.assumeRoleWithWebIdentity(roleArn: roleArn, sessionName: sessionName, webIdentityToken: token)
        return result.credentials.withSource("web identity \(roleArn)")
    }
}

/// `AssumeRole` using credentials from another provider (`role_arn` + `source_profile`).
public struct AssumeRoleCredentialProvider: AWSCredentialProvider {
    public let roleArn: String
    public let sessionName: String
    public let externalId: String?
    public let durationSeconds: Int?
    public let source: any AWSCredentialProvider
    public let sts: STSCredentialContext
    public var name: String { "assume role \(roleArn) from \(source.name)" }

    public init(roleArn: String, sessionName: String? = nil, externalId: String? = nil, durationSeconds: Int? = nil, source: any AWSCredentialProvider, sts: STSCredentialContext) {
        self.roleArn = roleArn
        self.sessionName = sessionName ?? "ldedge-\(Int(Date().timeIntervalSince1970))"
        self.externalId = externalId
        self.durationSeconds = durationSeconds
        self.source = source
        self.sts = sts
    }

    public func credentials() async throws -> AWSCredentials {
        let client = sts.client(credentials: source)
        let result = try await client.assumeRole(roleArn: roleArn, sessionName: sessionName, externalId: externalId, durationSeconds: durationSeconds)
        return result.credentials.withSource("assumed role \(roleArn)")
    }
}

/// A named profile: static keys, `role_arn` with `source_profile` or `credential_source`,
/// or `role_arn` with `web_identity_token_file`.
public struct ProfileCredentialProvider: AWSCredentialProvider {
    public let profileName: String
    public let files: SharedConfigFiles
    public let environment: [String: String]
    public let sts: STSCredentialContext
    public var name: String { "profile \"\(profileName)\" (\(files.credentialsPath), \(files.configPath))" }

    public init(profileName: String, files: SharedConfigFiles, environment: [String: String], sts: STSCredentialContext) {
        self.profileName = profileName
        self.files = files
        self.environment = environment
        self.sts = sts
    }

    public func credentials() async throws -> AWSCredentials {
        try await resolve(profileName, visited: [])
    }

    private func resolve(_ profileName: String, visited: [String]) async throws -> AWSCredentials {
        let source = "profile \"\(profileName)\""
        guard let profile = files.profile(named: profileName) else {
            if visited.isEmpty {
                throw CredentialError.notConfigured(source: name, reason: "no such profile in \(files.credentialsPath) or \(files.configPath)")
            }
            throw CredentialError.invalid(source: source, reason: "source_profile \"\(profileName)\" is not defined")
        }
        if visited.contains(profileName) {
            throw CredentialError.invalid(source: source, reason: "source_profile cycle: \((visited + [profileName]).joined(separator: " -> "))")
        }
        let context = STSCredentialContext(region: profile["region"] ?? sts.region, endpoint: sts.endpoint, logger: sts.logger)
        if let roleArn = profile["role_arn"] {
            let sessionName = profile["role_session_name"]
            if let tokenFile = profile["web_identity_token_file"] {
                return try await WebIdentityCredentialProvider(roleArn: roleArn, tokenFile: tokenFile, sessionName: sessionName, sts: context).credentials()
            }
            let base: any AWSCredentialProvider
            if let sourceProfile = profile["source_profile"] {
                if sourceProfile == profileName, profile["aws_access_key_id"] != nil {
                    base = StaticCredentialProvider(try staticKeys(profile, source: source))
                } else {
                    base = StaticCredentialProvider(try await resolve(sourceProfile, visited: visited + [profileName]))
                }
            } else if let credentialSource = profile["credential_source"] {
                guard credentialSource == "Environment" else {
                    throw CredentialError.invalid(source: source, reason: "credential_source \(credentialSource) is not supported; use Environment or source_profile")
                }
                base = EnvironmentCredentialProvider(environment: environment)
            } else {
                throw CredentialError.invalid(source: source, reason: "role_arn needs source_profile, credential_source or web_identity_token_file")
            }
            return try await AssumeRoleCredentialProvider(
                roleArn: roleArn, sessionName: sessionName, externalId: profile["external_id"],
                durationSeconds: profile["duration_seconds"].flatMap { Int($0) }, source: base, sts: context
            ).credentials()
        }
        if profile["aws_access_key_id"] != nil || profile["aws_secret_access_key"] != nil {
            return try staticKeys(profile, source: source)
        }
        if profile["sso_session"] != nil || profile["sso_start_url"] != nil {
            throw CredentialError.invalid(source: source, reason: "IAM Identity Center (SSO) profiles are not supported directly; run "
                + "`eval \"$(aws configure export-credentials --profile \(profileName) --format env)\"` and retry")
        }
        if visited.isEmpty {
            throw CredentialError.notConfigured(source: name, reason: "the profile has no aws_access_key_id, role_arn or web_identity_token_file")
        }
        throw CredentialError.invalid(source: source, reason: "the profile has no aws_access_key_id or role_arn")
    }

    private func staticKeys(_ profile: [String: String], source: String) throws -> AWSCredentials {
        guard let id = nonEmpty(profile["aws_access_key_id"]), let secret = nonEmpty(profile["aws_secret_access_key"]) else {
            throw CredentialError.invalid(source: source, reason: "aws_access_key_id and aws_secret_access_key must both be set")
        }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: nonEmpty(profile["aws_session_token"]), source: source)
    }
}

/// Web identity configured purely through the environment; "not configured" when the variables are absent.
struct EnvironmentWebIdentityProvider: AWSCredentialProvider {
    let environment: [String: String]
    let sts: STSCredentialContext
    var name: String { "web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE)" }

    func credentials() async throws -> AWSCredentials {
        guard let roleArn = nonEmpty(environment["AWS_ROLE_ARN"]), let tokenFile = nonEmpty(environment["AWS_WEB_IDENTITY_TOKEN_FILE"]) else {
            throw CredentialError.notConfigured(source: name, reason: "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are not both set")
        }
        return try await WebIdentityCredentialProvider(roleArn: roleArn, tokenFile: tokenFile, sessionName: nonEmpty(environment["AWS_ROLE_SESSION_NAME"]), sts: sts).credentials()
    }
}

extension CredentialProviderChain {
    /// The AWS CLI order: environment, web identity from the environment, then the profile.
    public static func `default`(environment: [String: String], files: SharedConfigFiles, profileName: String, sts: STSCredentialContext) -> CredentialProviderChain {
        CredentialProviderChain([
            EnvironmentCredentialProvider(environment: environment),
            EnvironmentWebIdentityProvider(environment: environment, sts: sts),
            ProfileCredentialProvider(profileName: profileName, files: files, environment: environment, sts: sts),
        ])
    }
}

extension AWSCredentials {
    func withSource(_ source: String) -> AWSCredentials {
        AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken, expiration: expiration, source: source)
    }
}
