import Foundation
import MezhvedCore
import MezhvedPostgres
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
    static func makeArchive(interval: Int = 4, witness: String? = nil, options: FileSystemStorage.Options = FileSystemStorage.Options())
        async throws -> TestArchive
    {
        let folder = try temporaryDirectory() + "/archive"
        try await ArchiveFolder.create(folder, configuration: configuration(interval: interval))
        var options = options
        options.witness = witness
        return TestArchive(try await ArchiveFolder.open(folder, dataKey: dataKey(), checkpointSigner: signer(), options: options))
    }

    /// Signs the unsigned request printed with `number` (its `Registration/@number`).
    static func signedRequest(number: String) throws -> [UInt8] {
        let template = String(decoding: FileManager.default.contents(atPath: unsignedRequest)!, as: UTF8.self)
        return try signer().sign(
            Array(template.replacingOccurrences(of: "number=\"02-11/4817\"", with: "number=\"\(number)\"").utf8), sourceName: number)
    }

    /// The outgoing number `sequence` of this year in the fixtures' template.
    static func outgoingNumber(_ sequence: Int) -> String { String(format: "01-12/%06d", sequence) }

    /// `count` distinct signed requests printed with the outgoing numbers `first`, `first + 1`, …
    static func signedRequests(_ count: Int, first: Int = 1) throws -> [[UInt8]] {
        try (0..<count).map { try signedRequest(number: outgoingNumber(first + $0)) }
    }

    /// A sample re-signed by an agency after text replacements (the sample's signature removed first).
    static func resigned(_ sample: String, agency: String, replacing replacements: [(String, String)]) throws -> [UInt8] {
        var text = String(decoding: FileManager.default.contents(atPath: path("Samples/\(sample)"))!, as: UTF8.self)
        if let start = text.range(of: "<ds:Signature"), let end = text.range(of: "</ds:Signature>") {
            text.removeSubrange(start.lowerBound..<end.upperBound)
        }
        for (from, to) in replacements { text = text.replacingOccurrences(of: from, with: to) }
        let signer = try XMLSigner(
            key: SigningKey.load(contentsOf: path("Certificates/agencies/\(agency)/key.pem")),
            certificate: Certificate.load(contentsOf: path("Certificates/agencies/\(agency)/cert.pem"))[0],
            chain: Certificate.load(contentsOf: chain))
        return try signer.sign(Array(text.utf8), sourceName: sample)
    }

    /// Registers `count` fresh signed requests, each printed with the next outgoing number, and returns their entries.
    @discardableResult
    static func register(_ count: Int, in archive: TestArchive) async throws -> [JournalEntry] {
        var entries: [JournalEntry] = []
        for _ in 0..<count {
            let next = try await archive.journal().nextSequence(year: ISOTime.agencyYear(Date()), direction: .outgoing)
            entries.append(
                try await archive.register(
                    Submission(
                        direction: .outgoing, document: try signedRequest(number: outgoingNumber(next)), sourceName: "request",
                        signatureStatus: .valid)))
        }
        return entries
    }

    static func auditor(_ archive: TestArchive, key: Bool = false, witness: String? = nil) throws -> ArchiveAuditor {
        try auditor(path: archive.path, key: key, witness: witness)
    }

    /// The audit of the archive at `path`, pinned to the gateway certificate of the fixtures.
    static func auditor(path: String, key: Bool = false, witness: String? = nil) throws -> ArchiveAuditor {
        let trust = try trust()
        return ArchiveAuditor(
            source: try FileSystemAuditSource(path: path), gatewayCertificate: try Certificate.load(contentsOf: gatewayCert)[0],
            checkpointTrust: trust, signatureAuditor: XMLDSigArchiveAuditor(trustStore: trust), dataKey: key ? try dataKey() : nil,
            witness: witness)
    }
}

/// An archive opened for a test: every change waits for the background checkpoint it triggers, so
/// that checkpoints land exactly at their interval.
struct TestArchive: Sendable {
    /// The store, filesystem or PostgreSQL (``StoreKind``).
    let store: any ArchiveStorage
    let registrar: Registrar
    init(_ folder: ArchiveFolder) {
        self.store = folder.storage
        self.registrar = folder.registrar
    }
    init(store: any ArchiveStorage, registrar: Registrar) {
        self.store = store
        self.registrar = registrar
    }

    /// The filesystem store, for the tests of that store alone.
    var storage: FileSystemStorage { store as! FileSystemStorage }
    var path: String { storage.path }

    func settled<T>(_ result: T) async -> T {
        await registrar.finishBackgroundWork()
        return result
    }

    func reserve(direction: Direction, note: String? = nil) async throws -> JournalEntry {
        await settled(try await registrar.reserve(direction: direction, note: note))
    }

    func register(_ submission: Submission) async throws -> JournalEntry { await settled(try await registrar.register(submission)) }

    func void(number: String, year: Int? = nil, reason: String) async throws -> JournalEntry {
        await settled(try await registrar.void(number: number, year: year, reason: reason))
    }

    func record(_ status: EventType, number: String, year: Int? = nil, note: String? = nil) async throws -> JournalEntry {
        await settled(try await registrar.record(status, number: number, year: year, note: note))
    }

    func journal() async throws -> Journal {
        if let postgres = store as? PostgresStorage { return try await postgres.journal() }
        return try await storage.journal()
    }
}

enum ArchiveTool {
    /// The mezhved executable built beside the tests.
    static var mezhved: String { TestProcess.mezhved }

    /// Runs a program to its end, capturing both outputs.
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessOutput {
        try await TestProcess.run(program, arguments, environment: environment)
    }

    static func mezhved(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessOutput {
        try await TestProcess.mezhved(arguments, environment: environment)
    }

    /// Finds a program on PATH.
    static func locate(_ name: String) -> String? { TestProcess.locate(name) }
}

/// File surgery for the tamper tests.
enum Tamper {
    static func read(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path)!) }

    static func write(_ bytes: [UInt8], _ path: String) { _ = FileManager.default.createFile(atPath: path, contents: Data(bytes)) }

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
