// swift-tools-version:6.2
import PackageDescription

// Swift 6 language mode (complete data-race checking) for every target of the project, and any
// compiler warning in the project's own code fails the build (dependencies are not affected:
// SwiftPM applies these settings only to this package's targets).
let settings: [SwiftSetting] = [.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)]

/// One module per step kind (docs/architecture.md): each depends on the core and the clients it needs.
func step(_ name: String, _ extra: [Target.Dependency] = []) -> Target {
    .target(
        name: name,
        dependencies: ["LDEdgeKit"] + extra,
        path: "Sources/Steps/\(name)",
        swiftSettings: settings
    )
}

let package = Package(
    name: "ldedge",
    // macOS 15: Mutex (the Synchronization module) guards shared state.
    platforms: [.macOS(.v15)],
    products: [
        // The `ldedge` executable is the root package's implicit product of the `ldedge` target
        // (`swift build --product ldedge` builds it). It is deliberately not declared: product
        // names must be unique across a package graph, and a team's package that depends on this
        // one declares its own executable product `ldedge` with its own steps (Examples/custom-step).
        .plugin(name: "LDEdgeCommand", targets: ["LDEdgeCommand"]),
        // For step authors (Examples/custom-step): the Step API, the command tree with every
        // built-in step, the AWS client with its step helpers, and the test fixtures (emulators).
        .library(name: "LDEdgeKit", targets: ["LDEdgeKit"]),
        .library(name: "LDEdgeCLI", targets: ["LDEdgeCLI"]),
        .library(name: "LDEdgeAWS", targets: ["AWS", "AWSStepSupport"]),
        .library(name: "LDEdgeTestSupport", targets: ["LDEdgeTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/CoreOffice/XMLCoder", exact: "0.18.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
    ],
    targets: [
        // Command line: thin ArgumentParser commands, one file each, as a library
        // (`LDEdgeCLI.main(extraSteps:)`), and the executable that runs it with the built-ins.
        .target(
            name: "LDEdgeCLI",
            dependencies: [
                "LDEdgeApp", "LDEdgeCore", "BuiltinSteps", "LDSandbox", "LaunchDarkly", "AWS", "Invoke", "Operations", "StateS3", "IAMPolicy", "EdgeFunctionCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/CLI/LDEdgeCLI", swiftSettings: settings
        ),
        .executableTarget(name: "ldedge", dependencies: ["LDEdgeCLI"], path: "Sources/CLI/ldedge", swiftSettings: settings),

        // What the commands do and how they look: `WorkflowService` (one method per command),
        // rendering, prompts, signals and exit codes. The core below it draws nothing.
        .target(
            name: "LDEdgeApp", dependencies: ["LDEdgeCore", "Terminal", "ChildProcess"],
            path: "Sources/CLI/LDEdgeApp", swiftSettings: settings
        ),

        // The public step API (typealiases over LDEdgeCore: what a step author needs, no more).
        .target(name: "LDEdgeKit", dependencies: ["LDEdgeCore", "LDEdgeJSON"], path: "Sources/Core/LDEdgeKit", swiftSettings: settings),

        // The one JSON value type, below the core and the clients.
        .target(name: "LDEdgeJSON", path: "Sources/Core/LDEdgeJSON", swiftSettings: settings),

        // Engine, workflow language, state, diagnostics: no terminal code, no LaunchDarkly concept.
        .target(
            name: "LDEdgeCore",
            dependencies: [
                "Git", "LDEdgeJSON",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Core/LDEdgeCore", swiftSettings: settings
        ),

        // `ldedge invoke`: runs a packaged handler locally with CloudFront events.
        .target(
            name: "Invoke",
            dependencies: ["LDEdgeCore", "LDEdgeApp", "Archive", "ChildProcess", .product(name: "Yams", package: "Yams")],
            path: "Sources/CLI/Invoke", swiftSettings: settings
        ),

        // Operating a live rollout: `ldedge logs`, `status --live` (reads recorded state, AWS and LaunchDarkly).
        .target(name: "Operations", dependencies: ["LDEdgeCore", "LDEdgeApp", "AWS", "LaunchDarkly"], path: "Sources/CLI/Operations", swiftSettings: settings),

        // The registry of every built-in step kind.
        .target(
            name: "BuiltinSteps",
            dependencies: [
                "LDEdgeCore", "RunStep", "CleanupStep", "BuildHandlerStep", "PackageZipStep",
                "UploadSiteStep", "EdgeDistributionStep", "AttachTriggerStep", "FlipFlagStep", "RelayProxyStep", "PluginHost", "EdgeFunctionStep",
            ],
            path: "Sources/Steps/BuiltinSteps", swiftSettings: settings
        ),
        step("RunStep", ["ChildProcess"]),
        step("CleanupStep"),
        step("BuildHandlerStep", [
            "ChildProcess", "HTTPProbe", "LaunchDarkly", "LaunchDarklyStepSupport", .product(name: "Mustache", package: "swift-mustache"), .product(name: "Crypto", package: "swift-crypto"),
        ]),
        step("PackageZipStep", ["Archive", .product(name: "Crypto", package: "swift-crypto")]),
        step("UploadSiteStep", ["AWS", "AWSStepSupport", "Git"]),
        step("EdgeDistributionStep", ["AWS", "AWSStepSupport"]),
        step("AttachTriggerStep", ["AWS", "AWSStepSupport"]),
        step("RelayProxyStep", ["AWS", "AWSStepSupport", "LaunchDarkly", .product(name: "Crypto", package: "swift-crypto")]),
        // CloudFront Functions + KeyValueStore target (docs/cloudfront-functions.md).
        step("EdgeFunctionStep", [
            "AWS", "AWSStepSupport", "LaunchDarkly", "LaunchDarklyStepSupport", "ChildProcess", "Archive",
        ]),
        // `ldedge sync` and `ldedge invoke` on the edge-function target: commands, not the step.
        .target(
            name: "EdgeFunctionCommands",
            dependencies: ["EdgeFunctionStep", "LDEdgeApp", "LDEdgeCore", "AWS", "LaunchDarkly", "Invoke", "ChildProcess"],
            path: "Sources/CLI/EdgeFunctionCommands", swiftSettings: settings
        ),
        step("FlipFlagStep", ["LaunchDarkly", "LaunchDarklyStepSupport", "AWS", "AWSStepSupport", "HTTPProbe"]),
        // Plain HTTP checks for steps (a guard's URL probe, a package registry's reachability).
        .target(name: "HTTPProbe", dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client")], path: "Sources/Clients/HTTPProbe", swiftSettings: settings),

        // External step plugins (uses: ./path, plugin:NAME): JSON-RPC 2.0 over stdio (docs/plugins.md).
        .target(name: "PluginHost", dependencies: ["LDEdgeCore", "ChildProcess"], path: "Sources/Steps/Support/PluginHost", swiftSettings: settings),

        // What the AWS and the LaunchDarkly step kinds share (steps never depend on each other).
        .target(name: "AWSStepSupport", dependencies: ["LDEdgeCore", "AWS"], path: "Sources/Steps/Support/AWSStepSupport", swiftSettings: settings),
        .target(
            name: "LaunchDarklyStepSupport", dependencies: ["LDEdgeCore", "LaunchDarkly"],
            path: "Sources/Steps/Support/LaunchDarklyStepSupport", swiftSettings: settings
        ),

        // `ldedge iam-policy`: the deploying principal's IAM policy, from each step's declared permissions.
        .target(name: "IAMPolicy", dependencies: ["LDEdgeCore", "LDEdgeApp", "AWS", "StateS3"], path: "Sources/CLI/IAMPolicy", swiftSettings: settings),

        // Shared state in S3 (`state: s3://BUCKET/PREFIX`): a state backend, not a step; the CLI wires it in.
        .target(name: "StateS3", dependencies: ["LDEdgeCore", "AWS"], path: "Sources/Core/StateS3", swiftSettings: settings),

        // Clients: the only layer that talks to the network.
        .target(
            name: "AWS",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "XMLCoder", package: "XMLCoder"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Clients/AWS", swiftSettings: settings
        ),
        .target(
            name: "LaunchDarkly",
            dependencies: [
                "LDEdgeJSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Clients/LaunchDarkly", swiftSettings: settings
        ),
        .target(
            name: "LDSandbox",
            dependencies: [
                "LaunchDarkly", "AWS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Sandbox/LDSandbox", swiftSettings: settings
        ),

        // Benchmark: PUT 1,000 small objects to the AWS emulator (run by scripts/bench-s3-put.sh).
        .executableTarget(name: "aws-s3-put-bench", dependencies: ["AWS", .product(name: "AsyncHTTPClient", package: "async-http-client")], path: "Benchmarks/aws-s3-put", swiftSettings: settings),

        // Benchmark: the upload-site sync against `aws s3 sync` on the emulator (Benchmarks/site-sync/run.sh).
        .executableTarget(name: "site-sync-bench", dependencies: ["LDEdgeCore", "UploadSiteStep"], path: "Benchmarks/site-sync", exclude: ["run.sh"], swiftSettings: settings),

        // Colours, status lines and progress bars, honouring NO_COLOR and TERM=dumb (used by the CLI layer only).
        .target(name: "Terminal", path: "Sources/System/Terminal", swiftSettings: settings),

        // Every child process (run steps, pip, plugins, the handler runner), on swift-subprocess.
        .target(
            name: "ChildProcess",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system", condition: .when(platforms: [.linux])),
            ],
            path: "Sources/System/ChildProcess", swiftSettings: settings
        ),

        // System libraries and their thin wrappers.
        .systemLibrary(
            name: "CGit2",
            path: "Sources/System/CGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        .systemLibrary(
            name: "CArchive",
            path: "Sources/System/CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]
        ),
        .target(name: "Git", dependencies: ["CGit2"], path: "Sources/System/Git", swiftSettings: settings),
        .target(name: "Archive", dependencies: ["CArchive"], path: "Sources/System/Archive", swiftSettings: settings),

        // Benchmarks/zip: the deterministic zip writer against Info-ZIP (Benchmarks/zip/run.sh).
        .executableTarget(name: "ZipBench", dependencies: ["Archive"], path: "Benchmarks/zip/ZipBench", swiftSettings: settings),

        // SwiftPM command plugin: `swift package --allow-writing-to-package-directory ldedge ...`.
        .plugin(
            name: "LDEdgeCommand",
            capability: .command(
                intent: .custom(verb: "ldedge", description: "Run ldedge (plan, deploy, teardown, ...) from the package directory"),
                permissions: [.writeToPackageDirectory(reason: "ldedge keeps its state and build output under .ldedge/")]
            )
        ),

        // Tests mirror sources; shared fixtures live in LDEdgeTestSupport.
        .target(
            name: "LDEdgeTestSupport",
            dependencies: ["LDEdgeCore", "AWS", "LaunchDarkly", "LDSandbox"],
            path: "Tests/LDEdgeTestSupport",
            swiftSettings: settings
        ),
        .testTarget(name: "LDEdgeCoreTests", dependencies: ["LDEdgeCore", "BuiltinSteps", "LDEdgeTestSupport"], exclude: ["Fixtures"], swiftSettings: settings),
        .testTarget(
            name: "StepsTests",
            dependencies: [
                "BuiltinSteps", "LDEdgeApp", "LDEdgeKit", "LDEdgeTestSupport", "AWS", "LaunchDarkly", "LDSandbox",
                "RunStep", "UploadSiteStep", "EdgeDistributionStep", "AttachTriggerStep", "RelayProxyStep",
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "PluginHostTests", dependencies: ["PluginHost", "BuiltinSteps", "LDEdgeCore", "LDEdgeTestSupport"],
            exclude: ["Fixtures"], swiftSettings: settings
        ),
        .testTarget(name: "AWSTests", dependencies: ["AWS", "LDEdgeTestSupport"], swiftSettings: settings),
        .testTarget(name: "LaunchDarklyTests", dependencies: ["LaunchDarkly", "LDSandbox", "LDEdgeTestSupport"], swiftSettings: settings),
        .testTarget(name: "LDSandboxTests", dependencies: ["LDSandbox", "LaunchDarkly", "LDEdgeTestSupport", "AWS"], swiftSettings: settings),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal"], swiftSettings: settings),
        .testTarget(name: "ChildProcessTests", dependencies: ["ChildProcess", "LDEdgeTestSupport"], swiftSettings: settings),
        .testTarget(name: "GitTests", dependencies: ["Git", "LDEdgeTestSupport"], swiftSettings: settings),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "LDEdgeTestSupport"], swiftSettings: settings),
        .testTarget(
            name: "InvokeTests",
            dependencies: [
                "Invoke", "LDEdgeCore", "BuiltinSteps", "RunStep", "BuildHandlerStep", "PackageZipStep", "Archive", "LaunchDarkly", "LDSandbox", "LDEdgeTestSupport",
            ],
            swiftSettings: settings
        ),
        .testTarget(name: "OperationsTests", dependencies: ["Operations", "LDEdgeApp", "LDEdgeCore", "BuiltinSteps", "LDEdgeTestSupport", "AWS", "LaunchDarkly", "LDSandbox"], swiftSettings: settings),
        .testTarget(name: "IntegrationTests", dependencies: ["LDEdgeApp", "LDEdgeCore", "BuiltinSteps", "LDEdgeTestSupport", "AWS", "LaunchDarkly", "LDSandbox"], swiftSettings: settings),
        .testTarget(name: "IAMPolicyTests", dependencies: ["IAMPolicy", "LDEdgeCore", "BuiltinSteps", "LDEdgeTestSupport"], swiftSettings: settings),
        .testTarget(
            name: "EdgeFunctionStepTests",
            dependencies: ["EdgeFunctionStep", "EdgeFunctionCommands", "BuiltinSteps", "LDEdgeCore", "LDEdgeTestSupport", "AWS", "LaunchDarkly", "LDSandbox", "Invoke"],
            exclude: ["Fixtures"], swiftSettings: settings
        ),
        .testTarget(name: "StateS3Tests", dependencies: ["StateS3", "LDEdgeCore", "BuiltinSteps", "AWS", "LDEdgeTestSupport"], swiftSettings: settings),
    ]
)
