// swift-tools-version:6.2
import PackageDescription

// A team's own ldedge: every built-in step plus `publish-parameter`, written against the
// public step API (LDEdgeKit) and the project's AWS client (LDEdgeAWS).
let settings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "custom-step",
    platforms: [.macOS(.v15)],
    products: [
        // `swift package ldedge ...` (the ldedge command plugin) runs this executable here.
        .executable(name: "ldedge", targets: ["ldedge"])
    ],
    dependencies: [
        .package(name: "ldedge", path: "../..")
    ],
    targets: [
        .target(
            name: "PublishParameterStep",
            dependencies: [
                .product(name: "LDEdgeKit", package: "ldedge"),
                .product(name: "LDEdgeAWS", package: "ldedge"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "ldedge",
            dependencies: ["PublishParameterStep", .product(name: "LDEdgeCLI", package: "ldedge"), .product(name: "LDEdgeKit", package: "ldedge")],
            swiftSettings: settings
        ),
        .testTarget(
            name: "PublishParameterStepTests",
            dependencies: [
                "PublishParameterStep",
                .product(name: "LDEdgeTestSupport", package: "ldedge"),
                .product(name: "LDEdgeAWS", package: "ldedge"),
            ],
            swiftSettings: settings
        ),
    ]
)
