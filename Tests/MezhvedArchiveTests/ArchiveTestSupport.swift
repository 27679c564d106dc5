import Foundation
import MezhvedTestSupport
import MezhvedXMLDSig
import Testing

@testable import MezhvedArchive

/// Paths, archives and documents for the archive tests. Fixtures are the test PKI in `Certificates/`.
enum ArchiveFixtures {
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static let gostTrust = path("Certificates/trust/gost")
    static let gatewayKey = path("Certificates/agencies/social-protection/key.pem")
    static let gatewayCert = path("Certificates/agencies/social-protection/cert.pem")
    static let chain = path("Certificates/gost/ca.pem")
    static let unsignedRequest = path("Samples/request-unemployment-status.xml")

    static func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-archive-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    static func signer() throws -> XMLSigner {
        try XMLSigner(
            key: SigningKey.load(contentsOf: gatewayKey), certificate: Certificate.load(contentsOf: gatewayCert)[0],
            chain: Certificate.load(contentsOf: chain))
    }

    static func trust() throws -> TrustStore { try TrustStore(directories: [gostTrust]) }

    /// A fixed key so that tests can hand it to the command line and to xmlsec1.
    static let keyBytes: [UInt8] = (0..<32).map { UInt8(($0 * 37 + 11) & 0xFF) }

    static func dataKey() throws -> ArchiveDataKey { try ArchiveDataKey(bytes: keyBytes) }

    /// Writes the data key as a raw 32-byte file (mode 0600) and returns its path.
    static func writeKey(in folder: String) throws -> String {
        let keyPath = folder + "/data.key"
        try DurableFiles.writeAtomically(keyBytes, to: keyPath)
        return keyPath
    }

    static func configuration(interval: Int = 4, keyFile: Bool = false) throws -> ArchiveConfiguration {
        let pem =
            String(decoding: FileManager.default.contents(atPath: gatewayCert)!, as: UTF8.self)
            + String(decoding: FileManager.default.contents(atPath: chain)!, as: UTF8.self)
        return ArchiveConfiguration(
            agency: "social-protection", outgoingFormat: try NumberFormat("01-12/{seq:06}"),
            incomingFormat: try NumberFormat("ЗКСЗН-{year}-{seq:06}"), dataKeyID: try dataKey().keyID, gatewayCertificate: pem,
            gatewayKeyFile: keyFile ? gatewayKey : nil, checkpointInterval: interval)
    }

    /// A new archive in a new folder, opened with the data key and the gateway's signer.
    static func makeArchive(interval: Int = 4, witness: String? = nil) throws -> FileSystemArchive {
        let folder = try temporaryDirectory() + "/archive"
        try FileSystemArchive.create(at: folder, configuration: configuration(interval: interval))
        return try FileSystemArchive(path: folder, dataKey: dataKey(), checkpointSigner: signer(), witness: witness)
    }

    /// `count` distinct signed requests (GOST 2012-256), each with its own registration number.
    static func signedRequests(_ count: Int, tag: String = "T") throws -> [[UInt8]] {
        let template = String(decoding: FileManager.default.contents(atPath: unsignedRequest)!, as: UTF8.self)
        let signer = try signer()
        return try (0..<count).map { index in
            let text = template.replacingOccurrences(of: "number=\"02-11/4817\"", with: "number=\"\(tag)-\(index)\"")
            return try signer.sign(Array(text.utf8), sourceName: "request \(index)")
        }
    }

    /// Registers `count` fresh signed requests and returns their entries.
    @discardableResult
    static func register(_ count: Int, in archive: FileSystemArchive, tag: String = "T") throws -> [JournalEntry] {
        try signedRequests(count, tag: tag).map {
            try archive.register(Submission(direction: .outgoing, document: $0, sourceName: "request", signatureStatus: "valid"))
        }
    }

    static func auditor(_ archive: FileSystemArchive, key: Bool = false, witness: String? = nil) throws -> ArchiveAuditor {
        let trust = try trust()
        return ArchiveAuditor(
            path: archive.path, checkpointTrust: trust, signatureAuditor: XMLDSigArchiveAuditor(trustStore: trust),
            dataKey: key ? try dataKey() : nil, witness: witness)
    }
}

enum ArchiveTool {
    /// The mezhved executable built beside the tests.
    static var mezhved: String { TestProcess.mezhved }

    /// Runs a program to its end, capturing both outputs.
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ProcessOutput {
        try TestProcess.run(program, arguments, environment: environment)
    }

    static func mezhved(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessOutput {
        try TestProcess.mezhved(arguments, environment: environment)
    }

    /// Finds a program on PATH.
    static func locate(_ name: String) -> String? { TestProcess.locate(name) }
}

/// File surgery for the tamper tests.
enum Tamper {
    static func read(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path)!) }

    static func write(_ bytes: [UInt8], _ path: String) { FileManager.default.createFile(atPath: path, contents: Data(bytes)) }

    /// Flips one bit of the byte at `offset` (negative: from the end).
    static func flip(_ path: String, at offset: Int) {
        var bytes = read(path)
        let index = offset >= 0 ? offset : bytes.count + offset
        bytes[index] ^= 0x01
        write(bytes, path)
    }

    static func lines(_ path: String) -> [String] {
        String(decoding: read(path), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    static func writeLines(_ lines: [String], _ path: String) { write(Array((lines.joined(separator: "\n") + "\n").utf8), path) }
}
