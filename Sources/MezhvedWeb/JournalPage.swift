import Foundation
import Hummingbird
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway

/// `/ui/journal`: the outgoing and incoming registers, filtered by period, counterpart, status
/// and number, a page of ``pageSize`` rows at a time (the store's own offset and limit, so tens of
/// thousands of rows cost one page), each row's deadline with the working days left; and the same
/// selection as CSV (`/ui/journal.csv`).
extension WebSite {
    static let pageSize = 50
    /// The most rows one CSV export writes.
    static let csvLimit = 200_000

    struct JournalFilters {
        var direction: Direction?
        var from: String?
        var to: String?
        var counterpart: String?
        var status: EntryStatus?
        var number: String?
        var page: Int

        init(_ request: Request) throws {
            let query = request.uri.queryParameters
            func text(_ name: String) -> String? {
                guard let value = query[Substring(name)].map(String.init)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                    return nil
                }
                return String(value.prefix(200))
            }
            if let value = text("direction") {
                guard let parsed = Direction(rawValue: value) else { throw WebRefusal(.badRequest, "Неизвестный журнал: \(value).") }
                direction = parsed
            }
            for name in ["from", "to"] {
                if let value = text(name), CalendarDay(iso: value) == nil {
                    throw WebRefusal(.badRequest, "Дата «\(value)» не в формате ГГГГ-ММ-ДД.")
                }
            }
            from = text("from")
            to = text("to")
            counterpart = text("counterpart")
            if let value = text("status") {
                guard let parsed = EntryStatus(rawValue: value) else { throw WebRefusal(.badRequest, "Неизвестное состояние: \(value).") }
                status = parsed
            }
            number = text("number")
            page = max(1, min(Int(text("page") ?? "1") ?? 1, 1_000_000))
        }

        func query(day: String, limit: Int, offset: Int) -> JournalQuery {
            JournalQuery(
                number: nil, direction: direction, counterpart: counterpart, status: status,
                from: from.flatMap(ISOTime.dateOrDay), to: to.flatMap(ISOTime.dateOrDay).map { $0.addingTimeInterval(86_399.999) },
                documentNumber: nil, day: day, limit: limit, offset: offset)
        }

        /// The query string of these filters (for the paging and CSV links), `page` replaced.
        func link(page: Int?) -> String {
            var items: [URLQueryItem] = []
            if let direction { items.append(URLQueryItem(name: "direction", value: direction.rawValue)) }
            if let from { items.append(URLQueryItem(name: "from", value: from)) }
            if let to { items.append(URLQueryItem(name: "to", value: to)) }
            if let counterpart { items.append(URLQueryItem(name: "counterpart", value: counterpart)) }
            if let status { items.append(URLQueryItem(name: "status", value: status.rawValue)) }
            if let number { items.append(URLQueryItem(name: "number", value: number)) }
            if let page { items.append(URLQueryItem(name: "page", value: String(page))) }
            var components = URLComponents()
            components.queryItems = items
            return components.percentEncodedQuery ?? ""
        }
    }

    struct JournalModel {
        struct Option {
            let value: String
            let label: String
            let selected: Bool
        }

        struct Row {
            let href: String?
            let number: String
            let direction: String
            let kind: String
            let registered: String
            let counterpart: String
            let documentNumber: String
            let deadline: String
            let daysLeft: String
            let overdue: Bool
            let status: String
            let delivery: String
        }

        let directions: [Option]
        let counterparts: [Option]
        let statuses: [Option]
        let from: String
        let to: String
        let number: String
        let rows: [Row]
        let empty: Bool
        let page: Int
        let previous: String?
        let next: String?
        let csv: String
        let today: String
    }

    /// The rows of `filters`; the number filter matches the journal number or the document's own.
    func journalRows(_ filters: JournalFilters, day: String, limit: Int, offset: Int) async throws -> [JournalEntry] {
        let registrar = archive.registrar
        guard let number = filters.number else { return try await registrar.entries(filters.query(day: day, limit: limit, offset: offset)) }
        var byJournal = filters.query(day: day, limit: limit, offset: offset)
        byJournal.number = number
        let found = try await registrar.entries(byJournal)
        if !found.isEmpty { return found }
        var byDocument = filters.query(day: day, limit: limit, offset: offset)
        byDocument.documentNumber = number
        return try await registrar.entries(byDocument)
    }

    func journal(_ request: Request, person: SignedInPerson) async throws -> Response {
        let filters = try JournalFilters(request)
        let day = ISOTime.agencyDayString(Date())
        let offset = (filters.page - 1) * Self.pageSize
        let found = try await journalRows(filters, day: day, limit: Self.pageSize + 1, offset: offset)
        let directory = gateway.documents.directory
        let rows = found.prefix(Self.pageSize).map { entry -> JournalModel.Row in
            let status = entry.status(on: day)
            let standing = documents.standing(of: entry, on: day)
            return JournalModel.Row(
                href: entry.object == nil ? nil : Self.documentLink(entry), number: entry.number,
                direction: RussianWords.direction(entry.direction), kind: RussianWords.kind(entry.kind),
                registered: RussianWords.day(entry.registeredAt ?? entry.allocatedAt),
                counterpart: entry.counterpart.map { directory.agency(id: $0)?.shortName ?? $0 } ?? "—",
                documentNumber: entry.documentNumber ?? "—", deadline: RussianWords.isoDay(entry.deadline),
                daysLeft: standing.workingDaysLeft.map(String.init) ?? "—", overdue: standing.overdue,
                status: RussianWords.status(status), delivery: RussianWords.delivery(entry, status: status))
        }
        let participants = directory.agencies.filter { $0.id != gateway.agency.id }
        let model = JournalModel(
            directions: [JournalModel.Option(value: "", label: "оба журнала", selected: filters.direction == nil)]
                + Direction.allCases.map {
                    JournalModel.Option(
                        value: $0.rawValue, label: $0 == .outgoing ? "исходящие" : "входящие", selected: filters.direction == $0)
                },
            counterparts: [JournalModel.Option(value: "", label: "все", selected: filters.counterpart == nil)]
                + participants.map { JournalModel.Option(value: $0.id, label: $0.shortName, selected: filters.counterpart == $0.id) },
            statuses: [JournalModel.Option(value: "", label: "все", selected: filters.status == nil)]
                + EntryStatus.allCases.map {
                    JournalModel.Option(value: $0.rawValue, label: RussianWords.status($0), selected: filters.status == $0)
                },
            from: filters.from ?? "", to: filters.to ?? "", number: filters.number ?? "", rows: Array(rows), empty: rows.isEmpty,
            page: filters.page, previous: filters.page > 1 ? "/ui/journal?" + filters.link(page: filters.page - 1) : nil,
            next: found.count > Self.pageSize ? "/ui/journal?" + filters.link(page: filters.page + 1) : nil,
            csv: "/ui/journal.csv?" + filters.link(page: nil), today: CalendarDay(iso: day)?.russian ?? day)
        return respond("journal", model, title: "Журнал", person: person)
    }

    /// The selection as CSV (`;`-separated, UTF-8 with a byte order mark, as spreadsheet programs
    /// in Russian locales read it): the journal's metadata only, never content or personal data.
    func journalCSV(_ request: Request) async throws -> Response {
        let filters = try JournalFilters(request)
        let day = ISOTime.agencyDayString(Date())
        var text =
            "\u{FEFF}номер;год;журнал;вид;зарегистрирован;контрагент;номер документа;срок;осталось рабочих дней;просрочен;состояние\r\n"
        var offset = 0
        let batch = 2_000
        while offset < Self.csvLimit {
            let entries = try await journalRows(filters, day: day, limit: batch, offset: offset)
            for entry in entries {
                let standing = documents.standing(of: entry, on: day)
                let fields = [
                    entry.number, String(entry.year), RussianWords.direction(entry.direction), RussianWords.kind(entry.kind),
                    entry.registeredAt ?? "", entry.counterpart ?? "", entry.documentNumber ?? "", entry.deadline ?? "",
                    standing.workingDaysLeft.map(String.init) ?? "", standing.overdue ? "да" : "нет",
                    RussianWords.status(entry.status(on: day)),
                ]
                text += fields.map(Self.csvField).joined(separator: ";") + "\r\n"
            }
            if entries.count < batch || filters.number != nil { break }
            offset += batch
        }
        var headers = Self.securityHeaders
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"journal-\(day).csv\""
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is neutralised so that a
    /// spreadsheet never runs it as a formula.
    static func csvField(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first), Int(value) == nil { value = "'" + value }
        guard value.contains(where: { ";\"\r\n".contains($0) }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The document page of `entry`.
    static func documentLink(_ entry: JournalEntry) -> String {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "year", value: String(entry.year)), URLQueryItem(name: "number", value: entry.number)]
        return "/ui/document?" + (components.percentEncodedQuery ?? "")
    }

    static func documentLink(year: Int, number: String) -> String {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "year", value: String(year)), URLQueryItem(name: "number", value: number)]
        return "/ui/document?" + (components.percentEncodedQuery ?? "")
    }
}
