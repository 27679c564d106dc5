// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mezhved",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mezhved", targets: ["mezhved"]),
        .library(name: "MezhvedXMLDSig", targets: ["MezhvedXMLDSig"]),
        .library(name: "MezhvedDocuments", targets: ["MezhvedDocuments"]),
        .library(name: "MezhvedValidation", targets: ["MezhvedValidation"]),
        .library(name: "MezhvedArchive", targets: ["MezhvedArchive"]),
        .library(name: "MezhvedGateway", targets: ["MezhvedGateway"]),
        .library(name: "MezhvedServer", targets: ["MezhvedServer"]),
        .library(name: "MezhvedPostgres", targets: ["MezhvedPostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C enters through these small targets only; the Swift modules import them `internal`.
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // Shims for what Swift cannot import (function-like macros, libxml2 globals, the
        // deprecated ENGINE API that GOST needs on OpenSSL 3.0, the hardened parser set-up).
        .target(
            name: "CMezhvedShims",
            dependencies: ["CLibXML2", "COpenSSL"],
            cSettings: [.define("OPENSSL_SUPPRESS_DEPRECATED")]
        ),
        // The XMLDSig core: parsing, canonicalization, signing, verification, trust.
        .target(
            name: "MezhvedXMLDSig",
            dependencies: ["MezhvedCore", "CLibXML2", "COpenSSL", "CMezhvedShims"]
        ),
        // Interagency documents: the format and its schemas, the agency directory, the production
        // calendar, composing, validating and rendering requests, answers and receipts.
        .target(
            name: "MezhvedDocuments",
            dependencies: [
                "MezhvedCore", "MezhvedXMLDSig", "CLibXML2", "CMezhvedShims", .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Resources")]
        ),
        // Qualified-signature validation (63-FZ art. 11): XAdES signing time and RFC 3161
        // timestamps, CRL and OCSP revocation over HTTP, Russian qualified-certificate checks, the
        // letterhead match, and an ETSI EN 319 102-1 style report.
        .target(
            name: "MezhvedValidation",
            dependencies: ["MezhvedCore", "MezhvedXMLDSig", "MezhvedDocuments", "COpenSSL", "CMezhvedShims"]
        ),
        // The registration journal and the tamper-evident archive of signed documents.
        .target(
            name: "MezhvedArchive",
            dependencies: ["MezhvedCore", "MezhvedXMLDSig", "MezhvedDocuments", "CLibXML2", "COpenSSL", "CMezhvedShims"]
        ),
        // What every module shares and that is not XMLDSig: the error protocol the shells map to
        // exit codes and HTTP statuses, bounded reads, name suggestions.
        .target(name: "MezhvedCore"),
        // The archive store in PostgreSQL (several gateway nodes on one database): the same store
        // protocols as the filesystem store, the numbered migrations, a connection pool.
        .target(
            name: "MezhvedPostgres",
            dependencies: [
                "MezhvedArchive", "MezhvedCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Migrations")]
        ),
        // The gateway's workflows: outgoing compose, number, sign, register, queue; incoming verify,
        // check, register, receipt; quarantine. The command line, the server and the pages call these.
        .target(
            name: "MezhvedGateway",
            dependencies: [
                "MezhvedCore", "MezhvedXMLDSig", "MezhvedDocuments", "MezhvedValidation", "MezhvedArchive", "MezhvedPostgres", "COpenSSL",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The evaluation's records (joint events, help provided; people as keyed hashes only) and the
        // reports computed from the journal and the records (562 cl. 3.5, 6.2; 459-р cl. 4.1).
        .target(
            name: "MezhvedRecords",
            dependencies: [
                "MezhvedCore", "MezhvedDocuments", "MezhvedArchive", "MezhvedGateway", .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The clerks' and auditors' web pages (served by `mezhved serve` under /ui/): templates, page
        // models, sessions and CSRF. The pages call the gateway's workflows, as the JSON API does.
        .target(
            name: "MezhvedWeb",
            dependencies: [
                "MezhvedCore", "MezhvedDocuments", "MezhvedValidation", "MezhvedArchive", "MezhvedGateway", "MezhvedRecords",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")]
        ),
        // The exchange server (`mezhved serve`): the peer protocol between agencies' gateways (push
        // and pull, signed receipts, checkpoints), the outbox's delivery over HTTP, and the clerks'
        // and auditors' JSON API. Handlers call the gateway's async workflows.
        .target(
            name: "MezhvedServer",
            dependencies: [
                "MezhvedCore", "MezhvedXMLDSig", "MezhvedDocuments", "MezhvedValidation", "MezhvedArchive", "MezhvedGateway",
                "MezhvedRecords", "MezhvedWeb",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("openapi.yaml")]
        ),
        // The thin command line over the libraries.
        .executableTarget(
            name: "mezhved",
            dependencies: [
                "MezhvedXMLDSig",
                "MezhvedDocuments",
                "MezhvedValidation",
                "MezhvedArchive",
                "MezhvedGateway",
                "MezhvedServer",
                "MezhvedRecords",
                "MezhvedPostgres",
                "MezhvedCore",
                "CMezhvedShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Running real programs (mezhved, openssl, xmlsec1, the interop Python) from the tests.
        .target(name: "MezhvedTestSupport", path: "Tests/MezhvedTestSupport"),
        .testTarget(
            name: "MezhvedXMLDSigTests",
            dependencies: ["MezhvedCore", "MezhvedXMLDSig", "MezhvedTestSupport"]
        ),
        .testTarget(
            name: "MezhvedValidationTests",
            dependencies: ["MezhvedValidation", "MezhvedXMLDSig", "MezhvedDocuments", "MezhvedTestSupport"]
        ),
        .testTarget(
            name: "MezhvedDocumentsTests",
            dependencies: ["MezhvedCore", "MezhvedDocuments", "MezhvedXMLDSig", "MezhvedTestSupport"]
        ),
        .testTarget(name: "MezhvedCoreTests", dependencies: ["MezhvedCore"]),
        .testTarget(
            name: "MezhvedGatewayTests",
            dependencies: [
                "MezhvedGateway", "MezhvedCore", "MezhvedArchive", "MezhvedValidation", "MezhvedXMLDSig", "MezhvedDocuments",
                "MezhvedTestSupport", "MezhvedPostgres",
            ]
        ),
        .testTarget(
            name: "MezhvedServerTests",
            dependencies: [
                "MezhvedServer", "MezhvedGateway", "MezhvedCore", "MezhvedArchive", "MezhvedValidation", "MezhvedXMLDSig",
                "MezhvedDocuments", "MezhvedTestSupport", "MezhvedWeb", "MezhvedPostgres",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "MezhvedRecordsTests",
            dependencies: ["MezhvedRecords", "MezhvedArchive", "MezhvedDocuments", "MezhvedCore", "MezhvedTestSupport"]
        ),
        .testTarget(
            name: "MezhvedArchiveTests",
            dependencies: ["MezhvedArchive", "MezhvedPostgres", "MezhvedXMLDSig", "MezhvedDocuments", "MezhvedTestSupport"]
        ),
    ]
)
