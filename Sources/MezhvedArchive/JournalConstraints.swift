import Foundation
import MezhvedCore
import MezhvedDocuments

/// The constraints of an append, checked against the journal inside the store's transaction, and
/// the number it allocates: the reference every store follows (a SQL store may enforce the same
/// with unique indexes and a counter row; the filesystem store calls this under its lock).
extension Journal {
    /// The event `append` writes at `time`, or the error that refuses it.
    public func prepare(_ append: JournalAppend, time: Date, configuration: ArchiveConfiguration) throws -> (EventType, EventPayload) {
        switch append {
        case .reserve(let direction, let note):
            var payload = nextNumber(direction, at: time, configuration: configuration)
            payload.reason = note
            return (.reserved, payload)
        case .register(let record, let claim):
            return (.registered, try registration(record, claim, at: time, configuration: configuration))
        case .status(let status, let number, let year, let note):
            guard status == .sent || status == .delivered || status == .answered else {
                throw ArchiveError(
                    .numberUnusable, "\(status.rawValue) is not a status to record", hint: "give sent, delivered or answered")
            }
            let current = try single(number, year: year)
            guard current.recordedStatus != .reserved, current.recordedStatus != .voided else {
                throw ArchiveError(
                    .numberUnusable, "the number \(number) is \(current.recordedStatus.rawValue): no document is registered under it")
            }
            var payload = EventPayload()
            payload.number = current.number
            payload.year = current.year
            payload.direction = current.direction
            payload.reason = note
            return (status, payload)
        case .void(let number, let year, let reason):
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ArchiveError(.numberUnusable, "voiding \(number) needs a reason", hint: "say why the number is voided")
            }
            let current = try single(number, year: year)
            guard current.recordedStatus == .reserved else {
                throw ArchiveError(
                    .numberUnusable,
                    "the number \(number) is \(current.recordedStatus.rawValue); only a reserved, unused number can be voided",
                    hint: "a registered document stays in the journal")
            }
            var payload = EventPayload()
            payload.number = current.number
            payload.year = current.year
            payload.direction = current.direction
            payload.sequence = current.sequence
            payload.reason = reason
            return (.voided, payload)
        case .quarantine(let record):
            try checkIncomingMessageUnused(record.messageID, peer: record.peer)
            var payload = EventPayload()
            payload.direction = .incoming
            payload.reason = record.reason
            payload.documentDigest = record.documentDigest
            payload.object = record.object
            payload.encryptedWith = record.encryptedWith
            payload.kind = record.kind
            payload.counterpart = record.counterpart
            payload.documentNumber = record.documentNumber
            payload.documentDate = record.documentDate
            payload.signatureStatus = record.signatureStatus
            payload.messageID = record.messageID
            payload.peer = record.peer
            return (.quarantined, payload)
        case .recovered(let reason):
            var payload = EventPayload()
            payload.reason = reason
            return (.recovered, payload)
        case .recomputeDeadline(let revision):
            return (.deadlineRecomputed, try deadlineRevision(revision))
        case .message(let transition):
            return (.message, try prepareMessage(transition))
        case .fact(let record):
            return try prepareFact(record)
        }
    }

    /// A provisional deadline replaced: only an open request's, only while it is provisional.
    private func deadlineRevision(_ revision: DeadlineRevision) throws -> EventPayload {
        let current = try single(revision.number, year: revision.year)
        let item = "\(current.number) (\(current.year))"
        guard current.registeredAt != nil, current.kind == .request else {
            throw ArchiveError(.numberUnusable, "\(item) is not a registered request: it has no response deadline to recompute")
        }
        guard current.recordedStatus != .answered, current.recordedStatus != .voided, current.recordedStatus != .rejected else {
            throw ArchiveError(
                .numberUnusable, "\(item) is \(current.recordedStatus.rawValue): its deadline is no longer open to recompute")
        }
        guard current.deadlineProvisional == true else {
            throw ArchiveError(
                .numberUnusable, "the deadline of \(item) (\(current.deadline ?? "none")) is not provisional: it is not recomputed",
                hint: "only deadlines computed by the Labour Code for a year without an official calendar are recomputed")
        }
        guard current.deadline == revision.previousDeadline else {
            throw ArchiveError(
                .numberUnusable,
                "the deadline of \(item) is \(current.deadline ?? "none"), not \(revision.previousDeadline) as the recomputation assumed",
                hint: "recompute again from the journal as it is now")
        }
        guard CalendarDay(iso: revision.deadline) != nil else {
            throw ArchiveError(
                .numberUnusable, "the new deadline \(DocumentText.cut(revision.deadline)) of \(item) is not a date YYYY-MM-DD")
        }
        guard !revision.reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ArchiveError(
                .numberUnusable, "recomputing the deadline of \(item) needs a reason", hint: "say which calendar was imported")
        }
        var payload = EventPayload()
        payload.number = current.number
        payload.year = current.year
        payload.direction = current.direction
        payload.previousDeadline = current.deadline
        payload.deadline = revision.deadline
        payload.deadlineProvisional = revision.provisional ? true : nil
        payload.reason = revision.reason
        return payload
    }

    /// The entry an applied event made or changed.
    public func result(of event: ArchiveEvent) -> AppendResult {
        if event.type == .quarantined { return AppendResult(event: event, entry: nil, quarantined: quarantined.last) }
        if FactType(rawValue: event.type.rawValue) != nil {
            return AppendResult(event: event, entry: nil, quarantined: nil, fact: facts.last)
        }
        if event.type == .message {
            return AppendResult(
                event: event, entry: nil, quarantined: nil, message: event.payload.messageID.flatMap { message(id: $0) })
        }
        guard let number = event.payload.number, let year = event.payload.year else {
            return AppendResult(event: event, entry: nil, quarantined: nil)
        }
        return AppendResult(event: event, entry: entries(number: number, year: year).first, quarantined: nil)
    }

    private func nextNumber(_ direction: Direction, at time: Date, configuration: ArchiveConfiguration) -> EventPayload {
        let year = ISOTime.agencyYear(time)
        let sequence = nextSequence(year: year, direction: direction)
        var payload = EventPayload()
        payload.number = configuration.format(for: direction).format(sequence: sequence, year: year, agency: configuration.agency)
        payload.year = year
        payload.direction = direction
        payload.sequence = sequence
        return payload
    }

    private func single(_ number: String, year: Int?) throws -> JournalEntry {
        try Self.only(entries(number: number, year: year), number: number)
    }

    /// The one entry of `found`, the entries with `number`: none or several (the number repeats
    /// across years) is an error naming the number.
    static func only(_ found: [JournalEntry], number: String) throws -> JournalEntry {
        guard let entry = found.last else {
            throw ArchiveError(
                .numberUnusable, "the number \(number) is not in the journal", hint: "list numbers with `mezhved archive list`")
        }
        guard found.count == 1 else {
            let years = found.map { String($0.year) }.joined(separator: ", ")
            throw ArchiveError(.numberUnusable, "the number \(number) exists in several years (\(years))", hint: "give the year too")
        }
        return entry
    }

    private func registration(_ record: RegistrationRecord, _ claim: NumberClaim, at time: Date, configuration: ArchiveConfiguration)
        throws -> EventPayload
    {
        if let existing = entry(documentDigest: record.documentDigest) {
            throw ArchiveError(
                .documentRefused, "the document is already registered as \(existing.number) (\(existing.year))",
                hint: "a document is registered once; see `mezhved archive show \(existing.number)`")
        }
        var payload: EventPayload
        let direction: Direction
        var claim = claim
        if case .printed(let printed, let wanted) = claim {
            let reserved = entries(number: printed).contains { $0.recordedStatus == .reserved && $0.direction == wanted }
            claim = reserved ? .reserved(printed, year: nil, direction: wanted) : .next(wanted, mustEqual: printed)
        }
        switch claim {
        case .printed:
            preconditionFailure("resolved above")
        case .reserved(let reserved, let year, let wanted):
            let known = entries(number: reserved, year: year)
            guard let entry = known.last(where: { $0.recordedStatus == .reserved }) else {
                throw ArchiveError(
                    .numberUnusable,
                    known.last.map { "the number \(reserved) is \($0.recordedStatus.rawValue), not reserved" }
                        ?? "the number \(reserved) was never reserved",
                    hint: "reserve the number first, or register without a reserved number")
            }
            guard entry.direction == wanted else {
                throw ArchiveError(.numberUnusable, "the number \(reserved) was reserved for \(entry.direction.rawValue) documents")
            }
            direction = wanted
            payload = EventPayload()
            payload.number = entry.number
            payload.year = entry.year
            payload.direction = entry.direction
            payload.sequence = entry.sequence
        case .next(let wanted, let mustEqual):
            direction = wanted
            payload = nextNumber(wanted, at: time, configuration: configuration)
            if let mustEqual, mustEqual != payload.number {
                throw ArchiveError(
                    .numberUnusable,
                    "the document carries the number \(mustEqual), but the next \(wanted.rawValue) number is \(payload.number ?? "?")",
                    hint: "an outgoing document is signed with its registration number: reserve one first and compose the document with it")
            }
        }
        if direction == .incoming { try checkIncomingMessageUnused(record.messageID, peer: record.peer) }
        if let letter = entry(
            letter: direction, counterpart: record.counterpart, documentNumber: record.documentNumber, documentDate: record.documentDate)
        {
            throw ArchiveError(
                .documentRefused,
                "the letter № \(record.documentNumber ?? "") of \(record.documentDate ?? "?") \(direction == .incoming ? "from" : "to") \(record.counterpart ?? "?") is already registered as \(letter.number) (\(letter.year))",
                hint: "a letter sent again is registered once; see `mezhved archive show \(letter.number)`")
        }
        payload.kind = record.kind
        payload.counterpart = record.counterpart
        payload.documentNumber = record.documentNumber
        payload.documentDate = record.documentDate
        payload.inReplyTo = record.inReplyTo
        payload.deadline = record.deadline
        payload.documentDigest = record.documentDigest
        payload.object = record.object
        payload.encryptedWith = record.encryptedWith
        payload.signingTime = ISOTime.string(record.signingTime, milliseconds: true)
        payload.signingTimeSource = record.signingTimeSource
        payload.signatureStatus = record.signatureStatus
        payload.acknowledges = record.acknowledges?.number
        payload.acknowledgesYear = record.acknowledges?.year
        payload.receiptOutcome = record.receiptOutcome
        payload.deadlineProvisional = record.deadlineProvisional ? true : nil
        payload.messageID = record.messageID
        payload.peer = record.peer
        return payload
    }
}
