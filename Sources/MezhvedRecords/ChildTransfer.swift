import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments

/// What a transfer request carries beside its `PersonalData` (the child and the representative):
/// the organisations, the stay being closed and the child's history, as one machine-readable line
/// of `informationNeeded` (after the same facts in words). No name, no SNILS, no birth date.
public struct ChildTransferContent: Sendable, Equatable, Codable {
    public static let format = "mezhved-child-transfer/1"
    /// The line's prefix in `informationNeeded`.
    public static let marker = "Сведения для учета (\(format)): "

    public var format: String
    /// The organisation the child leaves and the one that is to take the child (directory ids).
    public var from: String
    public var to: String
    /// The child's inclusion at `from`, and its basis.
    public var includedOn: String
    public var basis: String
    /// The history up to the transfer (the stay at `from` last, its transfer document still unknown).
    public var history: ChildHistory

    public init(from: String, to: String, includedOn: String, basis: String, history: ChildHistory) {
        self.format = Self.format
        self.from = from
        self.to = to
        self.includedOn = includedOn
        self.basis = basis
        self.history = history
    }

    /// The content of a request's `informationNeeded`, or nil when it carries none.
    public static func read(_ informationNeeded: String) -> ChildTransferContent? {
        guard let range = informationNeeded.range(of: marker) else { return nil }
        let line = informationNeeded[range.upperBound...].prefix { $0 != "\n" }
        guard let content = try? JSONDecoder().decode(ChildTransferContent.self, from: Data(line.utf8)), content.format == format else {
            return nil
        }
        return content
    }

    func line() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Self.marker + String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// A received transfer request checked for acceptance: the child's inclusion here, with the history
/// linked, and the answer that accepts it.
public struct ChildAcceptance: Sendable {
    public let draft: ChildDraft
    public let history: ChildHistory
    /// The organisation the child comes from, and the number printed on the transfer request.
    public let from: String
    public let transferDocument: String
    public let answer: AnswerDraft
}

extension ChildrenRecord {
    /// The service and legal basis of a transfer (459-р cl. 1.4 item 5: continuity when a child changes organisation).
    public static let transferService = ServiceReference(name: "Предоставление услуг ранней помощи детям и их семьям")
    public static let transferBasis = LegalBasisDraft(regulation: "459r-2023", clause: "1.4 пп. 5")

    /// The request that refers a child in the record to `organisation`, addressed to `recipient` (the
    /// agency whose gateway keeps that organisation's record), with the child's record and history.
    public func transferRequest(
        snils: String, to organisation: String, recipient: String, sender: String, compiler: OfficialPerson, today: CalendarDay
    ) async throws -> (draft: RequestDraft, child: Child) {
        let child = try await existing(snils)
        var problems: [String] = []
        if child.status != .inRecord {
            problems.append("snils: the child is not in the record here (\(child.status.rawValue) on \(child.statusDate))")
        }
        for (field, id) in [("--to", organisation), ("--recipient", recipient)] where directory.agency(id: id) == nil {
            problems.append(
                "\(field): \(id) is not in the agency directory" + NearestName.suggestionText(for: id, among: directory.agencies.map(\.id)))
        }
        if organisation == child.organisation { problems.append("--to: the child is already at \(organisation)") }
        guard problems.isEmpty else {
            throw RecordsError(.formInvalid, "the child cannot be transferred: \(problems.count) problem(s)", problems: problems)
        }
        let sealed = try await sealedRecord(of: child)
        let earlier = sealed.history
        var help = earlier?.help ?? []
        for fact in try await registrar.facts(FactQuery(type: .helpProvided, person: child.person)) {
            let item = ChildHelp(kind: fact.record.kind, date: fact.record.date, agency: fact.record.agencies.first ?? "")
            if !help.contains(item) { help.append(item) }
        }
        help.sort { ($0.date, $0.kind, $0.agency) < ($1.date, $1.kind, $1.agency) }
        let history = ChildHistory(
            firstIncludedOn: earlier?.firstIncludedOn ?? child.includedOn, firstBasis: earlier?.firstBasis ?? sealed.draft.basis,
            previousOrganisations: (earlier?.previousOrganisations ?? [])
                + [ChildStay(organisation: child.organisation, from: child.includedOn, to: today.iso, transferDocument: nil)],
            help: help)
        let content = ChildTransferContent(
            from: child.organisation, to: organisation, includedOn: child.includedOn, basis: sealed.draft.basis, history: history)
        let name = { (id: String) in self.directory.agency(id: id)?.shortName ?? id }
        var words = "Ребенок целевой группы передается из \(name(child.organisation)) в \(name(organisation)) для продолжения "
        words += "оказания услуг ранней помощи (распоряжение № 459-р, п. 1.4 пп. 5). Включен в учет детей целевой группы "
        words += "\(history.firstIncludedOn); в \(name(child.organisation)) — с \(child.includedOn)."
        let before = history.previousOrganisations.dropLast()
        if !before.isEmpty {
            words += " Ранее: " + before.map { "\(name($0.organisation)) с \($0.from) по \($0.to)" }.joined(separator: "; ") + "."
        }
        words += " Оказано услуг: \(help.count)"
        if !help.isEmpty { words += " (" + help.map { "\($0.date) \($0.kind)" }.joined(separator: ", ") + ")" }
        words += ".\n" + (try content.line())
        let c = sealed.draft.child
        let r = sealed.draft.representative
        let draft = RequestDraft(
            sender: sender, recipient: recipient, service: Self.transferService, legalBasis: [Self.transferBasis],
            subject: "О передаче ребенка целевой группы в организацию, предоставляющую услуги ранней помощи",
            informationNeeded: words,
            requestedDocument:
                "Сведения о принятии ребенка на учет детей целевой группы организацией \(name(organisation)) и дате принятия",
            consent: ConsentRecord(
                required: true, obtained: true, date: CalendarDay(iso: child.includedOn),
                document: "Согласие родителя (законного представителя) на обработку и передачу персональных данных ребенка"),
            compiler: compiler,
            personalData: [
                PersonDraft(
                    role: .child, lastName: c.lastName, firstName: c.firstName, middleName: c.middleName, birthDate: c.birthDate,
                    snils: c.snils),
                PersonDraft(
                    role: r.role, lastName: r.lastName, firstName: r.firstName, middleName: r.middleName, birthDate: r.birthDate,
                    snils: r.snils),
            ])
        return (draft, child)
    }

    /// Checks a received transfer request for acceptance on `day` at this gateway: it carries a
    /// transfer, the receiving organisation is in this register that day, the child is under three and
    /// not in the record here. Returns the inclusion (history linked) and the accepting answer.
    public func acceptance(of request: InteragencyRequest, on day: CalendarDay, compiler: OfficialPerson, today: CalendarDay)
        async throws -> ChildAcceptance
    {
        guard let content = ChildTransferContent.read(request.informationNeeded) else {
            throw RecordsError(
                .formInvalid, "the request \(request.registration) carries no child transfer (\(ChildTransferContent.format))",
                hint: "accept only a transfer request made by `mezhved register children transfer`")
        }
        guard let childData = request.personalData.first(where: { $0.role == .child }), let snils = childData.snils,
            let representative = request.personalData.first(where: { $0.role == .parent || $0.role == .legalRepresentative })
        else {
            throw RecordsError(
                .formInvalid,
                "the request \(request.registration) does not name the child (with SNILS) and the parent or legal representative")
        }
        var stays = content.history.previousOrganisations
        if !stays.isEmpty { stays[stays.count - 1].transferDocument = request.registration.number }
        let history = ChildHistory(
            firstIncludedOn: content.history.firstIncludedOn, firstBasis: content.history.firstBasis, previousOrganisations: stays,
            help: content.history.help)
        let name = { (id: String) in self.directory.agency(id: id)?.shortName ?? id }
        let draft = ChildDraft(
            child: ChildPerson(
                snils: snils, lastName: childData.lastName, firstName: childData.firstName, middleName: childData.middleName,
                birthDate: childData.birthDate),
            representative: ChildRepresentative(
                role: representative.role, lastName: representative.lastName, firstName: representative.firstName,
                middleName: representative.middleName, birthDate: representative.birthDate, snils: representative.snils, phone: nil),
            organisation: content.to, includedOn: day,
            basis: "Передача из \(name(content.from)) по запросу № \(request.registration.number) от \(request.registration.date.iso)")
        if day < request.registration.date {
            throw RecordsError(
                .formInvalid, "the child cannot be accepted on \(day.iso): the transfer request is of \(request.registration.date.iso)",
                hint: "accept on the request's day or later")
        }
        try await check(draft, today: today)
        let answer = AnswerDraft(
            subject: "О принятии ребенка целевой группы на учет",
            result: .provided([
                ProvidedDocument(
                    name: "Сведения о принятии ребенка на учет детей целевой группы",
                    body: .text(
                        "Ребенок принят на учет детей целевой группы организацией \(name(content.to)) с \(day.iso); "
                            + "оказание услуг ранней помощи продолжается (первичное включение в учет \(history.firstIncludedOn))."))
            ]), compiler: compiler,
            personalData: [
                PersonDraft(
                    role: .child, lastName: childData.lastName, firstName: childData.firstName, middleName: childData.middleName,
                    birthDate: childData.birthDate, snils: snils)
            ])
        return ChildAcceptance(
            draft: draft, history: history, from: content.from, transferDocument: request.registration.number, answer: answer)
    }

    /// Marks the children whose transfer was answered: `transferred` when the receiving gateway's
    /// answer provides the acceptance, `transfer-declined` (the child stays in the record) when it is a
    /// refusal. An answer counts when it is registered here, from the request's recipient, naming the
    /// request's number. Returns what it recorded.
    public func settleTransfers(documents: DocumentContext) async throws -> [RecordedFact] {
        var recorded: [RecordedFact] = []
        for child in try await children() where child.status == .transferRequested {
            guard let number = child.reference, let organisation = child.counterpart,
                let request = try await registrar.entries(JournalQuery(number: number, direction: .outgoing)).last,
                let recipient = request.counterpart
            else { continue }
            let answers = try await registrar.entries(JournalQuery(direction: .incoming, counterpart: recipient, kind: .answer))
            guard let answer = answers.first(where: { $0.inReplyTo == number && $0.registeredAt != nil }) else { continue }
            var declined = false
            let original = try await registrar.original(of: answer)
            if case .answer(let document) = try DocumentValidator(context: documents).read(original, sourceName: answer.number),
                case .refusal = document.result
            {
                declined = true
            }
            do {
                recorded.append(
                    try await registrar.record(
                        FactRecord(
                            type: .childRecorded, kind: declined ? "transfer-declined" : "transferred",
                            date: answer.documentDate ?? child.statusDate, agencies: [child.organisation], people: [child.person],
                            personKeyID: personKey.keyID, reference: number, counterpart: organisation)))
            } catch let error as ArchiveError where error.code == .duplicateFact {
                continue  // another process settled it a moment ago
            }
        }
        return recorded
    }
}
