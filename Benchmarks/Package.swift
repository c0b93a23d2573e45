// swift-tools-version: 6.1
import PackageDescription

// Engine benchmarks, kept out of the root package so that `swift build` / `swift test` at the root
// never fetch or build the benchmark harness.
//
//   swift package benchmark          # ordo-one/benchmark suite (Benchmarks/EngineBenchmarks)
//   ./compare-simpy.sh               # PingPongRate vs the SimPy peer (peers/pingpong_simpy.py)
let package = Package(
    name: "FaultlineBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Faultline", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", exact: "1.6.1"),
    ],
    targets: [
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                .product(name: "FaultlineSim", package: "Faultline"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PingPongRate",
            dependencies: [
                .product(name: "FaultlineSim", package: "Faultline"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "Sources/PingPongRate"
        ),
        .executableTarget(
            name: "EngineTraceHashes",
            dependencies: [.product(name: "FaultlineSim", package: "Faultline")],
            path: "Sources/EngineTraceHashes"
        ),
    ],
    swiftLanguageModes: [.v6]
)
