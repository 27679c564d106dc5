import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import MezhvedXMLDSig

/// `mezhved incoming …`: documents received from other agencies.
struct IncomingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incoming", abstract: "Takes in documents received from other agencies (see docs/gateway.md).",
        subcommands: [IncomingReceive.self, IncomingQuarantine.self])
}

struct IncomingReceive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Verifies received documents as qualified signatures, checks them, registers them and signs their receipts.",
        discussion: """
            Each document is validated with the gateway's policy, checked against its schema and the regulations, \
            and must be addressed to the gateway's agency by another agency. It is then registered under the next \
            incoming number and an accepted receipt is signed and registered; otherwise it is kept in quarantine with \
            its reason and a rejection receipt is signed and registered. A line per document says which, once it is \
            on disk. Exit 0 when every document was registered, 12 when one was quarantined.
            """)

    @OptionGroup var gateway: GatewayOption

    @Argument(help: "The received documents.")
    var files: [String]

    @Option(name: .customLong("receipt-dir"), help: "Also write each receipt into this folder as <document name>.receipt.xml.")
    var receiptDir: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give the received document(s)") }
        if let receiptDir {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: receiptDir, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--receipt-dir \(receiptDir) is not an existing folder")
            }
        }
    }

    func run() async throws {
        if try await receiveThroughGateway(files, gateway: gateway.open(), receiptDir: receiptDir) {
            throw ExitCode.documentRejected
        }
    }
}

/// Runs the incoming workflow on each file and prints a line per document once it is on disk;
/// returns whether any was refused (quarantined).
func receiveThroughGateway(_ files: [String], gateway opened: Gateway, receiptDir: String?) async throws -> Bool {
    let archive = try await opened.openArchiveForCommand()
    let workflow = IncomingWorkflow(gateway: opened, registrar: archive.registrar)
    var refused = false
    var answered = false
    for file in files {
        let (bytes, name) = try readInput(file)
        let outcome = try await workflow.receive(bytes, sourceName: name)
        var line: String
        switch outcome.disposition {
        case .registered(let entry):
            answered = answered || entry.kind == .answer
            line = "REGISTERED \(entry.number) \(entry.year) \(IncomingReceive.describe(entry)) — \(name)"
            if let report = outcome.validation {
                line += "; signature \(report.indication.rawValue), \(report.qualification.status.rawValue), "
                line += "signed \(ISOTime.string(report.signingTime.time)) (\(report.signingTime.source.rawValue))"
            }
        case .duplicate(let entry):
            line = "ALREADY REGISTERED \(entry.number) \(entry.year) — \(name) (the same document, nothing registered again)"
        case .quarantined(let kept, let reason):
            refused = true
            line = "QUARANTINED log entry \(kept.seq): \(reason.name) — \(name)"
            for detail in outcome.reasons.prefix(5) { line += "\n  ✗ \(detail)" }
        }
        if let receipt = outcome.receipt {
            let verdict: String
            switch receipt.outcome {
            case .accepted: verdict = "accepted"
            case .rejected: verdict = "rejected"
            }
            line += "\n  receipt (\(verdict)) registered as \(receipt.entry.number)"
            if let receiptDir {
                let target = (receiptDir as NSString).appendingPathComponent((name as NSString).lastPathComponent + ".receipt.xml")
                try writeOutput(receipt.document, to: target)
                line += ", written to \(target)"
            }
        }
        if let problem = outcome.receiptProblem {
            line += "\n  no receipt could be signed (receive the document again to make it): \(problem)"
        }
        print(line)
        fflush(nil)
    }
    if answered && opened.configuration.archive.personKey != nil {
        // An answer may accept (or refuse) a child's transfer: the children's record is settled now.
        do {
            for fact in try await opened.childrenRecord(over: archive).settleTransfers(documents: opened.documents) {
                print(ChildLine.settled(fact))
            }
        } catch {
            Output.warning(
                "the answers are registered; the children's record was not settled (run `mezhved register children list`): \(error)")
        }
    }
    await archive.registrar.finishBackgroundWork()
    return refused
}

extension IncomingReceive {
    static func describe(_ entry: JournalEntry) -> String {
        var text = "\(entry.kind?.rawValue ?? "document") from \(entry.counterpart ?? "?")"
        if let number = entry.documentNumber { text += " № \(number) of \(entry.documentDate ?? "?")" }
        if let acknowledged = entry.acknowledges {
            text += ", acknowledges \(acknowledged.number)"
        } else if let inReplyTo = entry.inReplyTo {
            text += ", answers \(inReplyTo)"
        }
        if let deadline = entry.deadline {
            text += ", answer due \(deadline)\(entry.deadlineProvisional == true ? " (provisional: by the Labour Code)" : "")"
        }
        return text
    }
}

struct IncomingQuarantine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "Lists the received documents that were refused and kept, with their reasons; --export writes one back out.",
        discussion: """
            A refused document is never dropped: it is stored (encrypted whole with the personal-data key) and its \
            refusal recorded in the log. --export SEQ --output FILE writes the document of log entry SEQ byte for byte \
            as it was received (its digest checked).
            """)

    @OptionGroup var gateway: GatewayOption

    @Option(help: "Only documents refused on or after this date (YYYY-MM-DD).") var from: String?
    @Option(help: "Only documents from this agency (directory id).") var counterpart: String?
    @Option(help: "Write the document of this log entry (its seq) to --output.") var export: Int?
    @Option(name: .shortAndLong, help: "Where --export writes the document (0600).") var output: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if (export == nil) != (output == nil) { throw ValidationError("--export SEQ and --output FILE go together") }
    }

    func run() async throws {
        let archive = try await gateway.open().openArchiveForCommand()
        let query = JournalQuery(counterpart: counterpart, from: try parseTime(from, option: "--from"))
        let kept = try await archive.registrar.quarantined(query)
        if let export, let output {
            guard let document = kept.first(where: { $0.seq == export }) else {
                throw ValidationError("log entry \(export) is not a quarantined document; list them with `mezhved incoming quarantine`")
            }
            try writeOutput(try await archive.registrar.original(of: document), to: output)
            print("exported the document of log entry \(export) to \(output)")
            return
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(kept), as: UTF8.self))
            return
        }
        for document in kept {
            var parts = [String(document.seq), document.time, document.kind?.rawValue ?? "-", document.counterpart ?? "-"]
            parts.append(document.documentNumber.map { "№ \($0) of \(document.documentDate ?? "?")" } ?? "-")
            parts.append(document.reason)
            print(parts.joined(separator: "\t"))
        }
    }
}
