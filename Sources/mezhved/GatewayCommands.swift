import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import MezhvedXMLDSig

/// `--gateway FILE`: the gateway configuration (default: $MEZHVED_GATEWAY).
struct GatewayOption: ParsableArguments {
    @Option(name: .customLong("gateway"), help: "The gateway configuration file (default: $MEZHVED_GATEWAY; see docs/gateway.md).")
    var gateway: String?

    /// The configuration file's path, when one was given.
    var path: String? {
        if let gateway { return gateway }
        if let value = ProcessInfo.processInfo.environment["MEZHVED_GATEWAY"], !value.isEmpty { return value }
        return nil
    }

    /// The configuration, read and checked as a whole.
    func configuration() throws -> GatewayConfiguration {
        guard let path else { throw ValidationError("give the gateway configuration with --gateway FILE or set MEZHVED_GATEWAY") }
        return try GatewayConfiguration.load(contentsOf: path)
    }

    /// The gateway, opened: every key unlocked, every file named checked.
    func open() throws -> Gateway { try Gateway.open(try configuration()) }
}

extension Gateway {
    /// The gateway's archive for one command: a background checkpoint that fails is a warning, the
    /// registrations stand.
    func openArchiveForCommand() async throws -> ArchiveFolder {
        let archive = try await openArchive { error in
            Output.warning("a background checkpoint was not written (the registrations are on disk): \(error)")
        }
        return archive
    }
}

/// `mezhved gateway …`: the gateway's configuration.
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway", abstract: "The gateway's configuration (see docs/gateway.md).", subcommands: [GatewayCheck.self])
}

struct GatewayCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Reads the gateway configuration, opens everything it names, and lists every problem (exit 11) or what it found.")

    @OptionGroup var gateway: GatewayOption

    func run() async throws {
        let opened = try gateway.open()
        let configuration = opened.configuration
        let archive = try await opened.openArchiveForCommand()
        let head = try await archive.storage.head()
        print("gateway configuration \(configuration.source): OK")
        print("agency:       \(opened.agency.id) — \(opened.agency.fullName)")
        print(
            "archive:      \(opened.archiveName) (\(head.seq) log entries, personal-data key \(archive.registrar.configuration.dataKeyID), store: \(configuration.archive.store))"
        )
        for signatory in opened.signatories {
            print(
                "signatory:    \(signatory.id) — \(signatory.ownerName), certificate \(signatory.certificate.serialNumber), "
                    + "valid to \(ISOTime.string(signatory.certificate.notAfter))"
                    + (signatory.unlocksPerSigning ? ", key unlocked per signing" : ""))
        }
        print("receipts:     signed by \(try opened.receiptSignatory.id)")
        print("trust:        \(configuration.trust.anchors.joined(separator: ", ")); \(configuration.trust.crls.count) CRL file(s)")
        let policy = configuration.policy
        print(
            "policy:       outgoing \(policy.signatureForm.rawValue); incoming \(policy.requireQualified ? "qualified signatures only" : "valid signatures")"
                + (policy.offline ? ", offline" : "") + (policy.requireRevocation ? ", revocation required" : ""))
    }
}
