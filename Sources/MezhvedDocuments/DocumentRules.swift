import Foundation

/// What the document checks need to know: the agencies, the production calendar and how to treat
/// a year the calendar does not cover.
public struct DocumentContext: Sendable {
    public var directory: AgencyDirectory
    public var calendar: ProductionCalendar
    public var fallback: ProductionCalendar.Fallback

    public init(directory: AgencyDirectory, calendar: ProductionCalendar, fallback: ProductionCalendar.Fallback = .none) {
        self.directory = directory
        self.calendar = calendar
        self.fallback = fallback
    }

    /// The directory and calendar shipped with mezhved.
    public static func bundled() throws -> DocumentContext {
        DocumentContext(directory: try AgencyDirectory.bundled(), calendar: try ProductionCalendar.bundled())
    }
}

/// The rules of the regulations that a schema cannot express: agencies exist and take part in the
/// regulation named, the letterhead is the sender's, deadlines fall on working days, identifiers
/// carry valid check digits, consent is there when required. Every problem is reported, with the
/// field's path.
enum DocumentRules {
    static func check(_ document: InteragencyDocument, context: DocumentContext, request: InteragencyRequest? = nil) -> [DocumentProblem] {
        var rules = Checker(context: context)
        switch document {
        case .request(let r): rules.request(r)
        case .answer(let a): rules.answer(a, request: request)
        case .receipt(let r): rules.receipt(r)
        }
        return rules.problems
    }

    struct Checker {
        let context: DocumentContext
        var problems: [DocumentProblem] = []

        mutating func add(_ path: String, _ message: String) { problems.append(DocumentProblem(path: path, message: message)) }

        /// The agency exists, and the name and identifiers written match the directory.
        @discardableResult
        mutating func agency(_ reference: AgencyReference, _ path: String) -> Agency? {
            guard let agency = context.directory.agency(id: reference.agency) else {
                let known = context.directory.agencies.filter { $0.parent == nil }.map(\.id).joined(separator: ", ")
                add(
                    "\(path).agency", "unknown agency \"\(reference.agency)\": no such agency in the directory (executive bodies: \(known))"
                )
                return nil
            }
            if !reference.name.isEmpty && reference.name != agency.fullName {
                add("\(path).name", "\"\(reference.name)\" is not the name of \(agency.id) in the directory (\"\(agency.fullName)\")")
            }
            if let ogrn = reference.ogrn, ogrn != agency.ogrn {
                add("\(path).ogrn", "OGRN \(ogrn) is not \(agency.id)'s OGRN \(agency.ogrn)")
            }
            if let inn = reference.inn, inn != agency.inn {
                add("\(path).inn", "INN \(inn) is not \(agency.id)'s INN \(agency.inn)")
            }
            return agency
        }

        mutating func letterhead(_ letterhead: DocumentLetterhead, of sender: Agency?) {
            guard let sender else { return }
            if letterhead.agencyName != sender.fullName {
                add("letterhead.agencyName", "the letterhead is \"\(letterhead.agencyName)\"'s, but the sender is \(sender.fullName)")
            }
        }

        mutating func legalBasis(_ bases: [LegalBasisReference], _ path: String, participants: [(AgencyReference, String)]) {
            for (index, basis) in bases.enumerated() {
                let at = "\(path)[\(index)]"
                guard context.directory.regulation(id: basis.regulation) != nil else {
                    let known = context.directory.regulations.map(\.id).joined(separator: ", ")
                    add("\(at).regulation", "unknown regulation \"\(basis.regulation)\" (known: \(known))")
                    continue
                }
                if let problem = context.directory.clauseProblem(regulationID: basis.regulation, clause: basis.clause, path: "\(at).clause")
                {
                    problems.append(problem)
                }
                for (agency, role) in participants where context.directory.agency(id: agency.agency) != nil {
                    if let problem = context.directory.participationProblem(
                        agencyID: agency.agency, regulationID: basis.regulation, path: "\(role).agency")
                    {
                        problems.append(problem)
                    }
                }
            }
        }

        mutating func official(_ person: OfficialPerson, _ path: String, phoneRequired: Bool, emailRequired: Bool) {
            if person.fullName.split(separator: " ").count < 2 {
                add("\(path).fullName", "\"\(person.fullName)\" is not a full name (surname, name and patronymic)")
            }
            if let phone = person.phone {
                phoneProblem(phone, "\(path).phone")
            } else if phoneRequired {
                add("\(path).phone", "is required")
            }
            if let email = person.email {
                emailProblem(email, "\(path).email")
            } else if emailRequired {
                add("\(path).email", "is required")
            }
        }

        mutating func phoneProblem(_ phone: String, _ path: String) {
            let digits = phone.filter(\.isNumber)
            let allowed = phone.allSatisfy { $0.isNumber || " +()-".contains($0) } || phone.contains("доб.")
            if !allowed || digits.count < 5 || digits.count > 15 {
                add(path, "\"\(phone)\" is not a phone number (for example +7 (812) 611-44-00)")
            }
        }

        mutating func emailProblem(_ email: String, _ path: String) {
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            if parts.count != 2 || parts[0].isEmpty || !parts[1].contains(".") || email.contains(" ") {
                add(path, "\"\(email)\" is not an e-mail address")
            }
        }

        mutating func persons(_ persons: [PersonRecord], _ path: String, registered: CalendarDay, earlyHelp: Bool) {
            for (index, person) in persons.enumerated() {
                let at = "\(path)[\(index)]"
                if let snils = person.snils, let problem = RussianIdentifiers.snilsProblem(snils) {
                    add("\(at).snils", problem)
                }
                if person.birthDate > registered {
                    add("\(at).birthDate", "\(person.birthDate.iso) is after the document's date \(registered.iso)")
                }
                if earlyHelp && person.role == .child {
                    let third = CalendarDay(
                        year: person.birthDate.year + 3, month: person.birthDate.month, day: min(person.birthDate.day, 28))
                    if let third, third <= registered {
                        add("\(at).birthDate", "a child of the early-help target group is under 3 years old (born \(person.birthDate.iso))")
                    }
                }
            }
        }

        mutating func workingDeadline(_ deadline: CalendarDay, after registered: CalendarDay, _ path: String) {
            if deadline <= registered {
                add(path, "the response deadline \(deadline.iso) is not after the request's date \(registered.iso)")
                return
            }
            do {
                switch try context.calendar.kind(of: deadline, fallback: context.fallback) {
                case .working, .workingWeekend: break
                case .weekend: add(path, "the response deadline \(deadline.iso) falls on a weekend; choose a working day")
                case .holiday(let name):
                    add(path, "the response deadline \(deadline.iso) falls on a non-working day (\(name)); choose a working day")
                }
            } catch let error as DocumentError {
                add(path, error.message + (error.hint.map { " — \($0)" } ?? ""))
            } catch {
                add(path, "\(error)")
            }
        }

        mutating func request(_ r: InteragencyRequest) {
            let sender = agency(r.sender, "sender")
            agency(r.recipient, "recipient")
            if r.sender.agency == r.recipient.agency { add("recipient.agency", "a request cannot be addressed to its own sender") }
            letterhead(r.letterhead, of: sender)
            if r.legalBasis.isEmpty { add("legalBasis", "is required: name the regulation and clause that require the document") }
            legalBasis(r.legalBasis, "legalBasis", participants: [(r.sender, "sender"), (r.recipient, "recipient")])
            workingDeadline(r.responseDeadline, after: r.registration.date, "responseDeadline")
            official(r.compiler, "compiler", phoneRequired: true, emailRequired: true)
            official(r.signatory, "signatory", phoneRequired: false, emailRequired: false)
            let contact = r.contactForAnswer
            if contact.email == nil && contact.phone == nil && contact.postalAddress == nil {
                add("contactForAnswer", "give at least one way to send the answer (e-mail, phone or postal address)")
            }
            if let phone = contact.phone { phoneProblem(phone, "contactForAnswer.phone") }
            if let email = contact.email { emailProblem(email, "contactForAnswer.email") }
            if let consent = r.consent {
                if consent.required && !consent.obtained {
                    add("consent.obtained", "the subject's consent is required for this request but has not been obtained")
                }
                if consent.obtained && consent.date == nil { add("consent.date", "give the date the consent was obtained") }
            }
            if r.personalData.isEmpty { add("personalData", "name at least one person the request is about") }
            let earlyHelp = r.legalBasis.contains { $0.regulation.hasPrefix("459") }
            persons(r.personalData, "personalData", registered: r.registration.date, earlyHelp: earlyHelp)
        }

        mutating func answer(_ a: InteragencyAnswer, request: InteragencyRequest?) {
            let sender = agency(a.sender, "sender")
            agency(a.recipient, "recipient")
            letterhead(a.letterhead, of: sender)
            if a.inReplyTo.date > a.registration.date {
                add("inReplyTo.date", "the request's date \(a.inReplyTo.date.iso) is after the answer's date \(a.registration.date.iso)")
            }
            legalBasis(a.legalBasis, "legalBasis", participants: [])
            if case .refusal(let reason, _) = a.result, reason.count < 10 {
                add("refusal.reason", "a refusal must give its reasons")
            }
            if let request {
                if request.registration != a.inReplyTo {
                    add(
                        "inReplyTo",
                        "the answer replies to \(a.inReplyTo), but the request given is \(request.registration)")
                }
                if request.recipient.agency != a.sender.agency {
                    add(
                        "sender.agency",
                        "the answer comes from \(a.sender.agency), but the request was addressed to \(request.recipient.agency)")
                }
                if request.sender.agency != a.recipient.agency {
                    add("recipient.agency", "the answer goes to \(a.recipient.agency), but the request came from \(request.sender.agency)")
                }
            }
            official(a.compiler, "compiler", phoneRequired: true, emailRequired: false)
            official(a.signatory, "signatory", phoneRequired: false, emailRequired: false)
            persons(a.personalData, "personalData", registered: a.registration.date, earlyHelp: false)
        }

        mutating func receipt(_ r: DeliveryReceipt) {
            agency(r.sender, "sender")
            agency(r.recipient, "recipient")
            if case .accepted(_, let date) = r.outcome, date < r.receivedDocument.date {
                add(
                    "accepted.incomingDate",
                    "the incoming registration date \(date.iso) is before the document's date \(r.receivedDocument.date.iso)")
            }
            if case .rejected(let reason) = r.outcome, reason.count < 10 { add("rejected.reason", "a rejection must give its reasons") }
            if let compiler = r.compiler { official(compiler, "compiler", phoneRequired: false, emailRequired: false) }
        }
    }
}
