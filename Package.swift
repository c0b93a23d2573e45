// swift-tools-version: 6.1
import PackageDescription

// Layers: imports point down only.
//   faultline -> FaultlineReport -> FaultlineChaos -> FaultlineCluster -> FaultlineSim
let package = Package(
    name: "Faultline",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "faultline", targets: ["faultline"]),
        .library(name: "FaultlineSim", targets: ["FaultlineSim"]),
        .library(name: "FaultlineCluster", targets: ["FaultlineCluster"]),
        .library(name: "FaultlineChaos", targets: ["FaultlineChaos"]),
        .library(name: "FaultlineReport", targets: ["FaultlineReport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        .target(
            name: "FaultlineSim",
            dependencies: [.product(name: "Collections", package: "swift-collections")]
        ),
        .target(
            name: "FaultlineCluster",
            dependencies: ["FaultlineSim", .product(name: "Collections", package: "swift-collections")]
        ),
        .target(
            name: "FaultlineChaos",
            dependencies: [
                "FaultlineSim", "FaultlineCluster",
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "FaultlineReport",
            dependencies: [
                "FaultlineChaos",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "faultline",
            dependencies: [
                "FaultlineSim", "FaultlineCluster", "FaultlineChaos", "FaultlineReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "FaultlineSimTests", dependencies: ["FaultlineSim"]),
        .testTarget(name: "FaultlineClusterTests", dependencies: ["FaultlineCluster", "FaultlineSim"]),
        .testTarget(name: "FaultlineChaosTests", dependencies: ["FaultlineChaos", "FaultlineCluster", "FaultlineSim"]),
        .testTarget(name: "FaultlineReportTests", dependencies: ["FaultlineReport", "FaultlineChaos"]),
        .testTarget(name: "faultlineTests", dependencies: ["faultline"]),
    ],
    swiftLanguageModes: [.v6]
)
