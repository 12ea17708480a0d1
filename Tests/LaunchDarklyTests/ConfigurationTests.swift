import LaunchDarkly
import XCTest

final class ConfigurationTests: XCTestCase {
    func testReadsTheEnvironmentAndExplicitValuesWin() throws {
        let env = ["LD_ACCESS_TOKEN": "api-env", "LD_BASE_URI": "https://app.eu.launchdarkly.com/"]
        let fromEnv = try LaunchDarklyConfiguration.fromEnvironment(env)
        XCTAssertEqual(fromEnv.accessToken, "api-env")
        XCTAssertEqual(fromEnv.baseURI, "https://app.eu.launchdarkly.com")
        let explicit = try LaunchDarklyConfiguration.fromEnvironment(env, accessToken: "api-workflow", baseURI: "http://127.0.0.1:8765")
        XCTAssertEqual(explicit.accessToken, "api-workflow")
        XCTAssertEqual(explicit.baseURI, "http://127.0.0.1:8765")
        XCTAssertEqual(try LaunchDarklyConfiguration.fromEnvironment(["LD_ACCESS_TOKEN": "t"]).baseURI, "https://app.launchdarkly.com")
    }

    func testMissingTokenAndBadURIAreExplained() {
        XCTAssertThrowsError(try LaunchDarklyConfiguration.fromEnvironment([:])) { error in
            XCTAssertEqual(error as? LaunchDarklyError, .missingAccessToken)
            XCTAssertTrue("\(error)".contains("LD_ACCESS_TOKEN"))
        }
        XCTAssertThrowsError(try LaunchDarklyConfiguration.fromEnvironment(["LD_ACCESS_TOKEN": "t", "LD_BASE_URI": "ftp://x"]))
    }

    func testTheTokenNeverAppearsInDescriptions() throws {
        let secret = "api-0123456789-secret"
        let config = try LaunchDarklyConfiguration.fromEnvironment(["LD_ACCESS_TOKEN": secret])
        XCTAssertFalse(String(describing: config).contains(secret))
        XCTAssertFalse(String(reflecting: config).contains(secret))
        var dumped = ""
        dump(config, to: &dumped)
        XCTAssertFalse(dumped.contains(secret))
        let env = ProjectEnvironment(id: "1", key: "production", name: "Production", apiKey: "sdk-secret")
        XCTAssertFalse(String(describing: env).contains("sdk-secret"))
    }
}
