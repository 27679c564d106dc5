import Foundation
import MezhvedArchive
import MezhvedDocuments
import MezhvedGateway
import MezhvedPostgres
import MezhvedTestSupport
import MezhvedXMLDSig

/// Gateways of test agencies, each with a new archive in a temporary folder, over the test PKI.
enum GatewayFixtures {
    static func path(_ relative: String) -> String { TestProcess.path(relative) }

    static func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-gateway-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The configuration text of `agency`'s gateway whose archive is in `folder`.
    /// `store` is the archive section's lines naming the store (default: the folder `archive`).
    static func configurationText(
        agency: String, folder: String, signatoryKey: String? = nil, extraPolicy: String = "", trust: String = "Certificates/trust/gost",
        documents: String = "{calendarFallback: labour-code}", store: String? = nil
    ) -> String {
        let root = TestProcess.root.path
        let key = signatoryKey ?? "\(root)/Certificates/agencies/\(agency)/key.pem"
        let storeLines = store ?? "  path: \(folder)/archive"
        return """
            agency: \(agency)
            archive:
            \(storeLines)
              dataKey: \(folder)/data.key
              gatewayKey: \(root)/Certificates/agencies/\(agency)/key.pem
              gatewayCertificate: \(root)/Certificates/agencies/\(agency)/cert.pem
            signatories:
              - {id: head, key: \(key), certificate: \(root)/Certificates/agencies/\(agency)/cert.pem, chain: \(root)/Certificates/gost/ca.pem}
            trust: {anchors: [\(root)/\(trust)], intermediates: [\(root)/Certificates/gost/ca.pem], crls: [\(root)/Certificates/gost/ca.crl.pem]}
            policy: {offline: true\(extraPolicy)}
            documents: \(documents)
            """
    }

    /// A gateway for `agency` with a new archive (numbers 01-…/{seq:06} out, ВХ-{year}-{seq:06} in)
    /// on `store`: a folder, or a schema of its own on the test cluster.
    static func gateway(
        _ agency: String, in folder: String? = nil, store: StoreKind = .filesystem, extraPolicy: String = "",
        trust: String = "Certificates/trust/gost", documents: String = "{calendarFallback: labour-code}"
    ) async throws -> (gateway: Gateway, archive: ArchiveFolder, folder: String) {
        let folder = try folder ?? temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let key = try ArchiveDataKey.generate()
        try Array((key.hex + "\n").utf8).write(to: folder + "/data.key")
        let certificate = try String(contentsOfFile: path("Certificates/agencies/\(agency)/cert.pem"), encoding: .utf8)
        let chain = try String(contentsOfFile: path("Certificates/gost/ca.pem"), encoding: .utf8)
        let archiveConfiguration = ArchiveConfiguration(
            agency: agency, outgoingFormat: try NumberFormat("ИСХ-{seq:06}"), incomingFormat: try NumberFormat("ВХ-{year}-{seq:06}"),
            dataKeyID: key.keyID, gatewayCertificate: certificate + chain, gatewayKeyFile: nil, checkpointInterval: 4)
        var storeLines: String?
        switch store {
        case .filesystem: try await ArchiveFolder.create(folder + "/archive", configuration: archiveConfiguration)
        case .postgres: storeLines = try await postgresArchive(archiveConfiguration)
        }
        let text = configurationText(
            agency: agency, folder: folder, extraPolicy: extraPolicy, trust: trust, documents: documents, store: storeLines)
        let configuration = try GatewayConfiguration.parse(Array(text.utf8), source: "\(agency).yaml", baseFolder: folder)
        let gateway = try Gateway.open(configuration)
        return (gateway, try await gateway.openArchive(), folder)
    }

    /// A new archive in a schema of its own on the test cluster; the archive section's lines naming it.
    static func postgresArchive(_ configuration: ArchiveConfiguration) async throws -> String {
        guard let url = StoreKind.postgresURL else { throw GatewayError(.configurationInvalid, "MEZHVED_POSTGRES_URL is not set") }
        let schema = StoreKind.freshSchemaName(prefix: "gw_")
        let settings = try PostgresStoreSettings(url: url, passwordFile: StoreKind.postgresPasswordFile, schema: schema)
        _ = try await PostgresMigrations.apply(settings)
        try await PostgresStorage.create(settings, configuration: configuration)
        let storeURL = url + (url.contains("?") ? "&" : "?") + "schema=\(schema)"
        return "  store: postgres\n  url: '\(storeURL)'\n  connections: 4"
            + (StoreKind.postgresPasswordFile.map { "\n  passwordFile: \($0)" } ?? "")
    }

    /// The draft of a sample form, with its sender and recipient (and signatory) as given.
    static func requestDraft(
        form: String = "Samples/forms/request-unemployment-status.yaml", sender: String? = nil, recipient: String? = nil,
        keepSignatory: Bool = false
    ) throws -> RequestDraft {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path(form))))
        var draft = try DocumentComposer(context: DocumentContext.bundled()).requestDraft(form: bytes, source: form)
        if let sender { draft.sender = sender }
        if let recipient { draft.recipient = recipient }
        if !keepSignatory { draft.signatory = nil }
        draft.registration = nil
        return draft
    }
}

extension Array where Element == UInt8 {
    func write(to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(self), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
    }
}
