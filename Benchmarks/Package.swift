// swift-tools-version: 6.2
// Micro-benchmarks of the vault format (ordo-one/benchmark), kept in their own package so the main build
// does not carry the benchmark framework. Run with: make microbench (or swift package benchmark here).
import PackageDescription

let package = Package(
    name: "nicvault-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "nicvault", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "FormatBench",
            dependencies: [
                .product(name: "NICVault", package: "nicvault"),
                .product(name: "SealedFile", package: "nicvault"),
                .product(name: "Sodium", package: "nicvault"),
                .product(name: "GST", package: "nicvault"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/FormatBench",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
