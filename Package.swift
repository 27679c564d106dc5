// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mezhved",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mezhved", targets: ["mezhved"]),
        .library(name: "MezhvedXMLDSig", targets: ["MezhvedXMLDSig"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
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
            dependencies: ["CLibXML2", "COpenSSL", "CMezhvedShims"]
        ),
        // The thin command line over the library.
        .executableTarget(
            name: "mezhved",
            dependencies: [
                "MezhvedXMLDSig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "MezhvedXMLDSigTests",
            dependencies: ["MezhvedXMLDSig"]
        ),
    ]
)
