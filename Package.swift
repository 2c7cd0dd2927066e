// swift-tools-version: 6.2
import PackageDescription

// Our own targets only: remote dependencies are built with their warnings suppressed.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "nicvault",
    products: [
        .executable(name: "nicvault", targets: ["nicvault"]),
        .library(name: "NICVault", targets: ["NICVault"]),
        .library(name: "GST", targets: ["GST"]),
        .library(name: "SealedFile", targets: ["SealedFile"]),
        .library(name: "Sodium", targets: ["Sodium"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.25.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // Debian's libsodium 1.0.18 (apt: libsodium-dev).
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // Debian's OpenSSL (apt: libssl-dev), for NIC's RSA PKCS#1 v1.5 and AES-256-ECB only.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "NICCrypto", dependencies: ["COpenSSL"], swiftSettings: strict),
        // Header-only shims for C calls Swift cannot import directly (variadic prctl, copy_file_range).
        .systemLibrary(name: "CPosix"),
        // The Swift face of libsodium: nothing above this layer sees a C pointer.
        .target(name: "Sodium", dependencies: ["CSodium", "CPosix"], swiftSettings: strict),
        // A sealed file and its crash-safe store; knows nothing of what it holds.
        .target(name: "SealedFile", dependencies: ["Sodium", "CPosix"], swiftSettings: strict),
        // The vault's sealed records in PostgreSQL (`--store postgresql://...`): the same bytes as the file, in rows.
        .target(
            name: "PostgresStore",
            dependencies: [
                "SealedFile", "Sodium",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // The GST domain in pure Swift: GSTINs, user ids, the password policy, credential records.
        .target(name: "GST", dependencies: ["Sodium"], swiftSettings: strict),
        // The vault of the mission: credentials and API clients kept in a SealedFile.
        .target(name: "NICVault", dependencies: ["SealedFile", "GST", "Sodium"], swiftSettings: strict),
        // The NIC e-invoice portal emulator: a Hummingbird application over one state actor.
        .target(
            name: "SandboxPortal",
            dependencies: [
                "GST", "Sodium", "SealedFile", "NICCrypto", "PortalWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // The portal's wire contract: NIC's addresses, the sandbox routes, request and response bodies, NIC's
        // envelope, and one JSON-over-HTTP client. Shared by the sandbox (server) and the drivers (clients).
        .target(
            name: "PortalWire",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),
        // The registration and rotation flows and the portal drivers (sandbox over HTTP, assisted on a terminal).
        .target(name: "Portal", dependencies: ["GST", "NICCrypto", "PortalWire"], swiftSettings: strict),
        // Credentials in the formats e-invoice tools read.
        .target(
            name: "Export", dependencies: ["NICVault", "GST", "Sodium", "NICCrypto", "PortalWire"],
            swiftSettings: strict),
        // The deterministic test vectors of docs/format-vectors.md, and the tool that prints them.
        .target(name: "FormatVectors", dependencies: ["SealedFile", "Sodium", "NICVault"], swiftSettings: strict),
        .executableTarget(name: "nicvault-vectors", dependencies: ["FormatVectors"], swiftSettings: strict),
        // Helpers of `make bench`: a bare Argon2id baseline and a fast generator of large vaults.
        .executableTarget(
            name: "nicvault-bench", dependencies: ["NICVault", "GST", "SealedFile", "Sodium"], swiftSettings: strict),
        .executableTarget(
            name: "nicvault",
            dependencies: [
                "NICVault", "Portal", "PortalWire", "SandboxPortal", "Export", "GST", "SealedFile", "Sodium",
                "PostgresStore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Helpers every test target shares: a test clock, temporary folders, secrets and GSTINs from literals.
        .target(
            name: "TestSupport",
            dependencies: [
                "GST", "Portal", "SandboxPortal", "SealedFile", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(
            name: "PortalTests",
            dependencies: ["Portal", "SandboxPortal", "GST", "NICVault", "SealedFile", "Sodium", "TestSupport"],
            swiftSettings: strict),
        .testTarget(name: "SodiumTests", dependencies: ["Sodium"], swiftSettings: strict),
        .testTarget(
            name: "SealedFileTests",
            dependencies: ["SealedFile", "Sodium", "FormatVectors"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GSTTests", dependencies: ["GST", "Sodium"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(
            name: "NICVaultTests",
            dependencies: ["NICVault", "GST", "SealedFile", "Sodium", "FormatVectors", "TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "SandboxPortalTests",
            dependencies: [
                "SandboxPortal", "Portal", "PortalWire", "GST", "NICVault", "NICCrypto", "SealedFile", "Sodium",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "ExportTests", dependencies: ["Export", "NICVault", "GST", "Sodium", "NICCrypto", "TestSupport"],
            exclude: ["Golden"],
            swiftSettings: strict),
        .testTarget(
            name: "CLITests",
            dependencies: ["NICVault", "GST", "SealedFile", "Sodium", "FormatVectors", "PostgresStore"],
            exclude: ["Fixtures"], swiftSettings: strict),
    ]
)
