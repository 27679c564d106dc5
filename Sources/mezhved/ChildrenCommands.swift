import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedRecords

/// `mezhved register children …`: the record of target-group children (459-р cl. 1.4, docs/reports.md).
struct ChildrenRegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "children",
        abstract: "The record of target-group children (under three, 459-р cl. 1.4): add, show, list, exclude, transfer, accept.",
        discussion: """
            The child's personal data is sealed in the archive with its data key; the journal names the child only by \
            the keyed hash of the SNILS. Only `show` prints personal data, and the view is recorded. Each command first \
            marks the children whose transfer was answered (transferred, or declined).
            """,
        subcommands: [ChildAdd.self, ChildShow.self, ChildList.self, ChildExclude.self, ChildTransferCommand.self, ChildAccept.self])
}

/// The gateway and its children record, with answered transfers settled first.
struct OpenedChildren {
    let gateway: Gateway
    let archive: ArchiveFolder
    let record: ChildrenRecord

    static func open(_ option: GatewayOption) async throws -> OpenedChildren {
        let gateway = try option.open()
        let archive = try await gateway.openArchiveForCommand()
        let record = try gateway.childrenRecord(over: archive)
        for fact in try await record.settleTransfers(documents: gateway.documents) { print(ChildLine.settled(fact)) }
        return OpenedChildren(gateway: gateway, archive: archive, record: record)
    }

    func finish() async { await archive.registrar.finishBackgroundWork() }
}

/// The clerk who prepares a transfer document or its answer.
struct CompilerOptions: ParsableArguments {
    @Option(name: .customLong("compiler"), help: "The clerk who prepares the document: full name.") var name: String
    @Option(name: .customLong("compiler-position"), help: "The clerk's position.") var position: String
    @Option(name: .customLong("compiler-phone"), help: "The clerk's phone.") var phone: String
    @Option(name: .customLong("compiler-email"), help: "The clerk's e-mail.") var email: String

    var person: OfficialPerson { OfficialPerson(fullName: name, position: position, phone: phone, email: email) }
}

enum ChildLine {
    /// The line of a transfer settled by its answer.
    static func settled(_ fact: RecordedFact) -> String {
        let r = fact.record
        return "\(r.kind == "transferred" ? "TRANSFERRED" : "TRANSFER DECLINED") \(short(r.people.first ?? "")) "
            + "to \(r.counterpart ?? "?") (answer to \(r.reference ?? "?") of \(r.date)), log entry \(fact.seq)"
    }

    /// The keyed hash's first 12 hex digits: enough to tell children apart in a listing, nothing more.
    static func short(_ person: String) -> String { String(person.dropFirst(PersonKey.hashPrefix.count).prefix(12)) }

    static func day(_ text: String?, _ option: String) throws -> CalendarDay? {
        guard let text else { return nil }
        guard let day = CalendarDay(iso: text) else { throw ValidationError("\(option) \(text) is not a date such as 2026-03-02") }
        return day
    }
}

struct ChildAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Includes a child in the record from a YAML/JSON form (Samples/records/child.yaml).",
        discussion: "Prints the keyed hash's prefix, the organisation and the day; never the child's data. Every problem at once (exit 6).")

    @OptionGroup var gateway: GatewayOption
    @Argument(help: "The form, or - for standard input.") var form: String

    func run() async throws {
        let (bytes, name) = try readInput(form)
        let draft = try RecordForms.child(bytes, source: name)
        let opened = try await OpenedChildren.open(gateway)
        let fact = try await opened.record.include(draft, today: CalendarDay(agencyDay: Date()))
        await opened.finish()
        print(
            "INCLUDED child \(ChildLine.short(fact.record.people[0])) at \(draft.organisation) on \(draft.includedOn.iso), log entry \(fact.seq)"
        )
    }
}

struct ChildShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Prints a child's record and history, personal data included, to the clerk who asks by SNILS.",
        discussion: "The view is recorded in the journal (organisation, moment, the keyed hash; no data).")

    @OptionGroup var gateway: GatewayOption
    @Argument(help: "The child's SNILS.") var snils: String

    func run() async throws {
        let opened = try await OpenedChildren.open(gateway)
        let (child, record, view) = try await opened.record.show(snils: snils, now: Date())
        await opened.finish()
        let d = record.draft
        let directory = opened.gateway.documents.directory
        let name = { (id: String) in "\(directory.agency(id: id)?.shortName ?? id) (\(id))" }
        var lines = [
            "Ребенок: \(d.child.fullName), \(d.child.birthDate.iso) г. р., СНИЛС \(d.child.snils)",
            "\(d.representative.role == .parent ? "Родитель" : "Законный представитель"): \(d.representative.fullName), "
                + "\(d.representative.birthDate.iso) г. р." + (d.representative.snils.map { ", СНИЛС \($0)" } ?? "")
                + (d.representative.phone.map { ", тел. \($0)" } ?? ""),
            "Организация: \(name(child.organisation)), в учете с \(child.includedOn); основание: \(d.basis)",
            "Состояние: \(child.status.rawValue) с \(child.statusDate)"
                + (child.counterpart.map { ", \(name($0))" } ?? "") + (child.reference.map { ", \($0)" } ?? ""),
        ]
        if let from = child.cameFrom { lines.append("Передан из: \(name(from)) по документу № \(child.cameWith ?? "?")") }
        if let history = record.history {
            lines.append("Впервые включен в учет: \(history.firstIncludedOn); основание: \(history.firstBasis)")
            for stay in history.previousOrganisations {
                lines.append(
                    "  ранее: \(name(stay.organisation)) с \(stay.from) по \(stay.to)"
                        + (stay.transferDocument.map { ", передача № \($0)" } ?? ""))
            }
        }
        let help = (record.history?.help ?? [])
        let here = try await opened.archive.registrar.facts(FactQuery(type: .helpProvided, person: child.person))
        for item in help { lines.append("  помощь: \(item.date) \(item.kind) (\(item.agency))") }
        for fact in here where !help.contains(ChildHelp(kind: fact.record.kind, date: fact.record.date, agency: fact.record.agencies[0])) {
            lines.append("  помощь: \(fact.record.date) \(fact.record.kind) (\(fact.record.agencies[0]))")
        }
        lines.append("(this view is recorded in the journal: log entry \(view.seq))")
        print(lines.joined(separator: "\n"))
    }
}

struct ChildList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Lists the record on a day without personal data: hash prefix, age in months, organisation, dates.")

    @OptionGroup var gateway: GatewayOption
    @Option(name: .customLong("as-of"), help: "The day (default: today).") var asOf: String?
    @Flag(help: "Also the children no longer in the record (transferred, excluded).") var all = false

    func run() async throws {
        let day = try ChildLine.day(asOf, "--as-of") ?? CalendarDay(agencyDay: Date())
        let opened = try await OpenedChildren.open(gateway)
        let children = try await opened.record.children(asOf: day)
        await opened.finish()
        var shown = 0
        print("child         age  organisation          included    status              since       other")
        for child in children where all || child.status == .inRecord || child.status == .transferRequested {
            let record = try await opened.record.sealedRecord(of: child)
            let months = ChildrenRecord.ageInMonths(born: record.draft.child.birthDate, on: day)
            let other =
                [
                    child.cameFrom.map { "from \($0) (\(child.cameWith ?? "?"))" }, child.counterpart.map { "to \($0)" }, child.reference,
                ]
                .compactMap { $0 }.joined(separator: " ")
                + (months >= 36 && child.status == .inRecord ? "three years old: exclude with --reason reached-three" : "")
            print(
                "\(ChildLine.short(child.person))  \(pad("\(months)m", 4)) \(pad(child.organisation, 21)) \(child.includedOn)  "
                    + "\(pad(child.status.rawValue, 19)) \(child.statusDate)  \(other)")
            shown += 1
        }
        print("\(shown) \(shown == 1 ? "child" : "children") on \(day.iso)")
    }

    func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

struct ChildExclude: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exclude", abstract: "Excludes a child from the record on a day, for a reason.")

    @OptionGroup var gateway: GatewayOption
    @Argument(help: "The child's SNILS.") var snils: String
    @Option(help: "The day (default: today).") var date: String?
    @Option(help: "reached-three, moved-away, declined or programme-completed.") var reason: String

    func run() async throws {
        guard let why = ChildExclusionReason(rawValue: reason) else {
            throw ValidationError(
                "--reason \(reason) is not one of \(ChildExclusionReason.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let today = CalendarDay(agencyDay: Date())
        let day = try ChildLine.day(date, "--date") ?? today
        let opened = try await OpenedChildren.open(gateway)
        let fact = try await opened.record.exclude(snils: snils, date: day, reason: why, today: today)
        await opened.finish()
        print(
            "EXCLUDED child \(ChildLine.short(fact.record.people[0])) from \(fact.record.agencies[0]) on \(day.iso) (\(why.rawValue)), log entry \(fact.seq)"
        )
    }
}

struct ChildTransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract:
            "Refers a child in the record to another early-help organisation: a signed 459-р request carrying the record and history.",
        discussion: """
            The request is composed, numbered, signed and registered by the outgoing workflow (--send queues it for its \
            recipient). The child stays in the record as transfer-requested until the receiving gateway's answer is \
            registered here: an acceptance marks the child transferred, a refusal puts the child back in the record.
            """)

    @OptionGroup var gateway: GatewayOption
    @Argument(help: "The child's SNILS.") var snils: String
    @Option(help: "The receiving organisation (directory id).") var to: String
    @Option(help: "The agency whose gateway keeps that organisation's record (default: the organisation's parent body, or itself).")
    var recipient: String?
    @OptionGroup var compiler: CompilerOptions
    @Option(help: "The signatory (configuration id); default the first.") var signatory: String?
    @Flag(name: .customLong("send"), help: "Queue the registered request for its recipient.") var queue = false
    @Option(name: .shortAndLong, help: "Where to write the signed request (0600).") var output: String?

    func run() async throws {
        let opened = try await OpenedChildren.open(gateway)
        let directory = opened.gateway.documents.directory
        let recipient = self.recipient ?? directory.agency(id: to)?.parent ?? to
        let today = CalendarDay(agencyDay: Date())
        let (draft, child) = try await opened.record.transferRequest(
            snils: snils, to: to, recipient: recipient, sender: opened.gateway.agency.id, compiler: compiler.person, today: today)
        let sent = try await OutgoingWorkflow(gateway: opened.gateway, registrar: opened.archive.registrar).send(
            .request(draft), signatoryID: signatory)
        let fact = try await opened.record.recordTransferRequested(child, to: to, number: sent.entry.number, date: today)
        var queued: String?
        if queue {
            queued = try await queueLine(
                opened.gateway.outbox(registrar: opened.archive.registrar), number: sent.entry.number, year: sent.entry.year, expires: nil)
        }
        await opened.finish()
        if let output { try writeOutput(sent.signed, to: output) }
        print(
            "TRANSFER REQUESTED child \(ChildLine.short(child.person)) from \(child.organisation) to \(to): request \(sent.entry.number) "
                + "\(sent.entry.year) to \(recipient), log entry \(fact.seq)" + (output.map { " — \($0)" } ?? ""))
        if let queued { print(queued) }
    }
}

struct ChildAccept: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accept",
        abstract: "Accepts a received transfer request: includes the child here with the history linked and answers it (signed).",
        discussion: """
            NUMBER is the request's incoming journal number here (`mezhved incoming receive` prints it). The child is \
            included on --date in the organisation the request names (it must be in this gateway's register of \
            early-help organisations that day), with the previous organisation and the request's number; the answer \
            is composed, signed and registered (--send queues it back).
            """)

    @OptionGroup var gateway: GatewayOption
    @Argument(help: "The incoming journal number of the transfer request.") var number: String
    @Option(help: "The journal year of the number.") var year: Int?
    @Option(help: "The day the child is taken (default: today).") var date: String?
    @OptionGroup var compiler: CompilerOptions
    @Option(help: "The signatory (configuration id); default the first.") var signatory: String?
    @Flag(name: .customLong("send"), help: "Queue the registered answer for the request's sender.") var queue = false
    @Option(name: .shortAndLong, help: "Where to write the signed answer (0600).") var output: String?

    func run() async throws {
        let today = CalendarDay(agencyDay: Date())
        let day = try ChildLine.day(date, "--date") ?? today
        let opened = try await OpenedChildren.open(gateway)
        let registrar = opened.archive.registrar
        let entry = try await registrar.entry(number: number, year: year)
        guard entry.direction == .incoming, entry.kind == .request else {
            throw RecordsError(
                .formInvalid, "\(number) is not a request received here", hint: "give the incoming number of the transfer request")
        }
        let original = try await registrar.original(of: entry)
        guard case .request(let request) = try DocumentValidator(context: opened.gateway.documents).read(original, sourceName: number)
        else {
            throw RecordsError(.formInvalid, "\(number) is not a request")
        }
        let acceptance = try await opened.record.acceptance(of: request, on: day, compiler: compiler.person, today: today)
        let sent = try await OutgoingWorkflow(gateway: opened.gateway, registrar: registrar).send(
            .answer(acceptance.answer, to: request), signatoryID: signatory)
        let fact = try await opened.record.include(
            acceptance.draft, today: today, history: acceptance.history, from: acceptance.from,
            transferDocument: acceptance.transferDocument)
        var queued: String?
        if queue {
            queued = try await queueLine(
                opened.gateway.outbox(registrar: registrar), number: sent.entry.number, year: sent.entry.year, expires: nil)
        }
        await opened.finish()
        if let output { try writeOutput(sent.signed, to: output) }
        print(
            "ACCEPTED child \(ChildLine.short(fact.record.people[0])) at \(acceptance.draft.organisation) on \(day.iso) from \(acceptance.from) "
                + "(request \(acceptance.transferDocument)), log entry \(fact.seq); answer \(sent.entry.number) \(sent.entry.year) to "
                + "\(entry.counterpart ?? "?")" + (output.map { " — \($0)" } ?? ""))
        if let queued { print(queued) }
    }
}
