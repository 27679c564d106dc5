import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedRecords

/// `mezhved report note`: the yearly analytic note, one signed and registered copy per addressee
/// that is a configured peer, queued with `--send` (docs/reports.md). The library does the work.
struct ReportNote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "The yearly analytic note to every participant (562 cl. 6.2; 459-р cl. 4.1–4.2): composed, signed, registered, queued.")
    @Option(help: "The year evaluated.") var year: Int
    @OptionGroup var gateway: GatewayOption
    @Option(name: .customLong("as-of"), help: "The day unanswered requests are judged on (default: today, Moscow time).")
    var asOf: String?
    @Flag(help: "Queue every copy in the outbox (`mezhved serve` delivers them).") var send = false
    @Option(
        name: .shortAndLong,
        help:
            "Write the signed copy to this file; with several copies, FILE-<recipient>.xml for each (default: none, the archive keeps them)."
    )
    var output: String?
    @Option(name: .customLong("report"), help: "Write the JSON report the note's evidence names (its SHA-256) to this file.")
    var reportOutput: String?
    @Option(help: "The signatory's id in the gateway configuration (default: the first).") var signatory: String?

    func run() async throws {
        let day: CalendarDay
        if let asOf {
            guard let parsed = CalendarDay(iso: asOf) else { throw ValidationError("--as-of \(asOf) is not a date such as 2026-12-31") }
            day = parsed
        } else {
            day = CalendarDay(agencyDay: Date())
        }
        let opened = try gateway.open()
        let archive = try await opened.openArchiveForCommand()
        let dispatch = try await opened.sendAnalyticNote(year: year, asOf: day, over: archive, queue: send, signatoryID: signatory)
        await archive.registrar.finishBackgroundWork()
        if let reportOutput { try writeOutput(dispatch.reportJSON, to: reportOutput) }
        var lines: [String] = []
        let evidence = dispatch.copies.first.flatMap { copy -> NoteEvidence? in
            if case .note(let note) = copy.sent.document { return note.evidence }
            return nil
        }
        lines.append(
            "NOTE \(year) of \(opened.agency.id): report up to log entry \(dispatch.report.journal.lastSeq), "
                + "SHA-256 \(evidence?.reportSHA256 ?? "?"), \(dispatch.addressees.count) addressees")
        for copy in dispatch.copies {
            let path = Self.path(output, recipient: copy.recipient, copies: dispatch.copies.count)
            if let path { try writeOutput(copy.sent.signed, to: path) }
            var line =
                "REGISTERED \(copy.sent.entry.number) \(copy.sent.entry.year) note to \(copy.recipient), signed by \(copy.sent.signatoryID)"
            if let path { line += " — \(path)" }
            if let message = copy.message { line += "\n  QUEUED as message \(message.messageID)" }
            lines.append(line)
        }
        if !dispatch.withoutPeer.isEmpty {
            lines.append(
                "NOT SENT to \(dispatch.withoutPeer.count) addressees without a configured peer: \(dispatch.withoutPeer.joined(separator: ", "))"
            )
        }
        if !send { lines.append("not queued: give --send to queue the copies (or `mezhved send --gateway … NUMBER`)") }
        print(lines.joined(separator: "\n"))
    }

    /// Where a copy is written: FILE for a single copy, FILE-<recipient>.ext for several.
    static func path(_ output: String?, recipient: String, copies: Int) -> String? {
        guard let output else { return nil }
        guard copies > 1 else { return output }
        let ext = (output as NSString).pathExtension
        let stem = ext.isEmpty ? output : String(output.dropLast(ext.count + 1))
        return "\(stem)-\(recipient)" + (ext.isEmpty ? "" : ".\(ext)")
    }
}
