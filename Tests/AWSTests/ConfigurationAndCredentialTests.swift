@testable import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

final class ConfigurationTests: XCTestCase {
    func testEndpointAndRegionResolution() throws {
        let configuration = try AWSConfiguration.fromEnvironment([
            "HOME": "/nonexistent", "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
            "AWS_ENDPOINT_URL_CLOUDFRONT": "http://localhost:9999", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
        ])
        XCTAssertEqual(configuration.region, "eu-west-1")
        XCTAssertEqual(try configuration.endpoint(for: .s3).absoluteString, "http://127.0.0.1:4566")
        XCTAssertEqual(try configuration.endpoint(for: .cloudFront).absoluteString, "http://localhost:9999")
        XCTAssertEqual(AWSService.cloudFront.signingRegion(for: configuration.region), "us-east-1")
        XCTAssertEqual(AWSService.iam.signingRegion(for: configuration.region), "us-east-1")
        XCTAssertEqual(AWSService.lambda.signingRegion(for: configuration.region), "eu-west-1")

        let aws = try AWSConfiguration.fromEnvironment(["HOME": "/nonexistent", "AWS_DEFAULT_REGION": "us-west-2"])
        XCTAssertEqual(try aws.endpoint(for: .lambda).absoluteString, "https://lambda.us-west-2.amazonaws.com")
        XCTAssertEqual(try aws.endpoint(for: .iam).absoluteString, "https://iam.amazonaws.com")
        let ignored = try AWSConfiguration.fromEnvironment(["HOME": "/nonexistent", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
                                                            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"])
        XCTAssertNil(ignored.endpointURL)
    }

    func testMissingRegionAndBadEndpointAreExplained() {
        XCTAssertThrowsError(try AWSConfiguration.fromEnvironment(["HOME": "/nonexistent"])) { error in
            XCTAssertTrue("\(error)".contains("AWS_REGION"), "\(error)")
        }
        XCTAssertThrowsError(try AWSConfiguration.fromEnvironment(["HOME": "/nonexistent", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "localhost:4566"])) { error in
            XCTAssertTrue("\(error)".contains("AWS_ENDPOINT_URL"), "\(error)")
        }
        XCTAssertThrowsError(try AWSConfiguration.fromEnvironment(["HOME": "/nonexistent", "AWS_REGION": "us-east-1", "AWS_PROFILE": "ghost"])) { error in
            XCTAssertTrue("\(error)".contains("ghost"), "\(error)")
        }
    }

    func testPathStyleForIPsAndLocalhost() throws {
        let client = AWSClient(configuration: AWSConfiguration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "a", secretAccessKey: "b")))
        let s3 = client.s3
        let request = s3.request("GetObject", bucket: "my-bucket", key: "a b.txt", method: .GET)
        let aws = try client.resolveTarget(request, endpoint: try XCTUnwrap(URL(string: "https://s3.us-east-1.amazonaws.com")))
        XCTAssertEqual(aws.hostHeader, "my-bucket.s3.us-east-1.amazonaws.com")
        XCTAssertEqual(aws.path, "/a%20b.txt")
        let local = try client.resolveTarget(request, endpoint: try XCTUnwrap(URL(string: "http://127.0.0.1:4566")))
        XCTAssertEqual(local.hostHeader, "127.0.0.1:4566")
        XCTAssertEqual(local.path, "/my-bucket/a%20b.txt")
        let named = try client.resolveTarget(request, endpoint: try XCTUnwrap(URL(string: "http://localhost:4566")))
        XCTAssertEqual(named.path, "/my-bucket/a%20b.txt")
        let dotted = try client.resolveTarget(s3.request("GetObject", bucket: "www.example.com", key: "k", method: .GET),
                                              endpoint: try XCTUnwrap(URL(string: "https://s3.us-east-1.amazonaws.com")))
        XCTAssertEqual(dotted.path, "/www.example.com/k", "dotted bucket names cannot use virtual hosts over TLS")
    }
}

final class CredentialChainTests: EmulatorTestCase {
    var directory: URL!

    override func setUp() async throws {
        try await super.setUp()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ldedge-creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(at: directory)
        try await super.tearDown()
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func baseEnvironment() -> [String: String] {
        ["HOME": directory.path, "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": emulator.endpoint.absoluteString]
    }

    func testEnvironmentVariablesComeFirst() async throws {
        let credentialsFile = try write("credentials", "[default]\naws_access_key_id = FROMFILE\naws_secret_access_key = filesecret\n")
        var environment = baseEnvironment()
        environment["AWS_SHARED_CREDENTIALS_FILE"] = credentialsFile
        environment["AWS_ACCESS_KEY_ID"] = "FROMENV"
        environment["AWS_SECRET_ACCESS_KEY"] = "envsecret"
        environment["AWS_SESSION_TOKEN"] = "envtoken"
        let resolved = try await AWSConfiguration.fromEnvironment(environment).credentialProvider.credentials()
        XCTAssertEqual(resolved.accessKeyId, "FROMENV")
        XCTAssertEqual(resolved.sessionToken, "envtoken")
    }

    func testProfilesFromCredentialsAndConfigFiles() async throws {
        let credentialsFile = try write("credentials", """
        # comment
        [default]
        aws_access_key_id = DEFAULTKEY
        aws_secret_access_key = defaultsecret

        [dev]
        aws_access_key_id = DEVKEY
        aws_secret_access_key = devsecret ; trailing comment
        """)
        let configFile = try write("config", """
        [default]
        region = us-west-2

        [profile dev]
        region = eu-central-1
        s3 =
          addressing_style = path
        """)
        var environment = baseEnvironment()
        environment.removeValue(forKey: "AWS_REGION")
        environment["AWS_SHARED_CREDENTIALS_FILE"] = credentialsFile
        environment["AWS_CONFIG_FILE"] = configFile
        let defaults = try AWSConfiguration.fromEnvironment(environment)
        XCTAssertEqual(defaults.region, "us-west-2")
        let defaultCredentials = try await defaults.credentialProvider.credentials()
        XCTAssertEqual(defaultCredentials.accessKeyId, "DEFAULTKEY")
        environment["AWS_PROFILE"] = "dev"
        let dev = try AWSConfiguration.fromEnvironment(environment)
        XCTAssertEqual(dev.region, "eu-central-1")
        let devCredentials = try await dev.credentialProvider.credentials()
        XCTAssertEqual(devCredentials.accessKeyId, "DEVKEY")
        XCTAssertEqual(devCredentials.secretAccessKey, "devsecret")
    }

    func testRoleArnWithSourceProfileAssumesTheRole() async throws {
        let role = try await client.iam.createRole(name: "deploy", assumeRolePolicyDocument: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#)
        let credentialsFile = try write("credentials", "[base]\naws_access_key_id = BASEKEY\naws_secret_access_key = basesecret\n")
        let configFile = try write("config", "[profile deployer]\nrole_arn = \(role.arn)\nsource_profile = base\nrole_session_name = ldedge-ci\n")
        var environment = baseEnvironment()
        environment["AWS_SHARED_CREDENTIALS_FILE"] = credentialsFile
        environment["AWS_CONFIG_FILE"] = configFile
        environment["AWS_PROFILE"] = "deployer"
        try await emulator.clearCalls()
        let resolved = try await AWSConfiguration.fromEnvironment(environment).credentialProvider.credentials()
        XCTAssertNotEqual(resolved.accessKeyId, "BASEKEY")
        XCTAssertNotNil(resolved.sessionToken)
        XCTAssertTrue(resolved.source.contains("deploy"))
        let calls = try await emulator.calls()
        XCTAssertEqual(calls.map(\.operation), ["AssumeRole"])
    }

    func testWebIdentityFromEnvironmentAndRefreshWhenExpired() async throws {
        let role = try await client.iam.createRole(name: "gha", assumeRolePolicyDocument: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#)
        let tokenFile = try write("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.sig\n")
        let context = STSCredentialContext(region: "us-east-1", endpoint: emulator.endpoint)
        let web = WebIdentityCredentialProvider(roleArn: role.arn, tokenFile: tokenFile, sessionName: "gha", sts: context)
        // A clock that jumps past the expiry makes the cache refresh.
        let clock = TestClock()
        let refreshing = RefreshingCredentialProvider(web, refreshWindow: 300, clock: { clock.now })
        try await emulator.clearCalls()
        let first = try await refreshing.credentials()
        let cached = try await refreshing.credentials()
        XCTAssertEqual(first, cached)
        var calls = try await emulator.calls()
        XCTAssertEqual(calls.map(\.operation), ["AssumeRoleWithWebIdentity"], "cached until near expiry")
        let expiration = try XCTUnwrap(first.expiration)
        clock.now = expiration.addingTimeInterval(-60)  // inside the 5-minute refresh window
        _ = try await refreshing.credentials()
        calls = try await emulator.calls()
        XCTAssertEqual(calls.map(\.operation), ["AssumeRoleWithWebIdentity", "AssumeRoleWithWebIdentity"], "expired credentials are refreshed")

        var environment = baseEnvironment()
        environment["AWS_ROLE_ARN"] = role.arn
        environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile
        let resolved = try await AWSConfiguration.fromEnvironment(environment).credentialProvider.credentials()
        XCTAssertNotNil(resolved.sessionToken)
        XCTAssertTrue(resolved.source.contains("web identity"))
    }

    func testMissingCredentialsListWhatWasTried() async throws {
        let configuration = try AWSConfiguration.fromEnvironment(baseEnvironment())
        do {
            _ = try await configuration.credentialProvider.credentials()
            XCTFail("expected no credentials")
        } catch let error as CredentialError {
            let text = error.description
            XCTAssertTrue(text.contains("environment variables"), text)
            XCTAssertTrue(text.contains("web identity"), text)
            XCTAssertTrue(text.contains("profile \"default\""), text)
        }
        // Through a client the failure is a typed AWSError.
        do {
            _ = try await AWSClient(configuration: configuration).sts.getCallerIdentity()
            XCTFail("expected no credentials")
        } catch let error as AWSError {
            guard case .credentials = error else { return XCTFail("\(error)") }
        }
    }

    func testHalfConfiguredEnvironmentIsAnError() async throws {
        var environment = baseEnvironment()
        environment["AWS_ACCESS_KEY_ID"] = "ONLYID"
        do {
            _ = try await AWSConfiguration.fromEnvironment(environment).credentialProvider.credentials()
            XCTFail("expected an error")
        } catch let error as CredentialError {
            XCTAssertTrue(error.description.contains("AWS_SECRET_ACCESS_KEY"), error.description)
        }
    }
}

final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value = Date()
    var now: Date {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); value = newValue; lock.unlock() }
    }
}
