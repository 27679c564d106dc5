import Foundation
import MezhvedCore

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
        case .note(let n): rules.note(n)
        }
        return rules.problems
    }

    struct Checker {
        let context: DocumentContext
        var problems: [DocumentProblem] = []

        /// A problem at `path`, in English and in Russian (the clerk's page shows the Russian).
        mutating func add(_ path: String, _ message: String, ru russian: String) {
            problems.append(DocumentProblem(path: path, message: message, russian: russian))
        }

        /// The agency exists, and the name and identifiers written match the directory.
        @discardableResult
        mutating func agency(_ reference: AgencyReference, _ path: String) -> Agency? {
            guard let agency = context.directory.agency(id: reference.agency) else {
                let known = context.directory.agencies.filter { $0.parent == nil }.map(\.id).joined(separator: ", ")
                var message = "unknown agency \"\(reference.agency)\": no such agency in the directory (executive bodies: \(known))"
                var russian = "органа «\(reference.agency)» нет в справочнике участников обмена"
                if let nearest = NearestName.suggestion(for: reference.agency, among: context.directory.agencies.map(\.id)) {
                    message += "; did you mean \"\(nearest)\"?"
                    russian += "; возможно, имелся в виду «\(nearest)»"
                }
                add("\(path).agency", message, ru: russian)
                return nil
            }
            if !reference.name.isEmpty && reference.name != agency.fullName {
                add(
                    "\(path).name", "\"\(reference.name)\" is not the name of \(agency.id) in the directory (\"\(agency.fullName)\")",
                    ru: "«\(reference.name)» не совпадает с наименованием органа по справочнику: «\(agency.fullName)»")
            }
            if let ogrn = reference.ogrn, ogrn != agency.ogrn {
                add(
                    "\(path).ogrn", "OGRN \(ogrn) is not \(agency.id)'s OGRN \(agency.ogrn)",
                    ru: "ОГРН \(ogrn) не совпадает с ОГРН органа по справочнику (\(agency.ogrn))")
            }
            if let inn = reference.inn, inn != agency.inn {
                add(
                    "\(path).inn", "INN \(inn) is not \(agency.id)'s INN \(agency.inn)",
                    ru: "ИНН \(inn) не совпадает с ИНН органа по справочнику (\(agency.inn))")
            }
            return agency
        }

        mutating func letterhead(_ letterhead: DocumentLetterhead, of sender: Agency?) {
            guard let sender else { return }
            if letterhead.agencyName != sender.fullName {
                add(
                    "letterhead.agencyName", "the letterhead is \"\(letterhead.agencyName)\"'s, but the sender is \(sender.fullName)",
                    ru: "бланк принадлежит органу «\(letterhead.agencyName)», а отправитель — \(sender.fullName)")
            }
        }

        mutating func legalBasis(_ bases: [LegalBasisReference], _ path: String, participants: [(AgencyReference, String)]) {
            for (index, basis) in bases.enumerated() {
                let at = "\(path)[\(index)]"
                guard context.directory.regulation(id: basis.regulation) != nil else {
                    let known = context.directory.regulations.map(\.id).joined(separator: ", ")
                    add(
                        "\(at).regulation", "unknown regulation \"\(basis.regulation)\" (known: \(known))",
                        ru: "регламента «\(basis.regulation)» нет в справочнике (есть: \(known))")
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
                add(
                    "\(path).fullName", "\"\(person.fullName)\" is not a full name (surname, name and patronymic)",
                    ru: "«\(person.fullName)» — не полное имя: нужны фамилия, имя и отчество")
            }
            if let phone = person.phone {
                phoneProblem(phone, "\(path).phone")
            } else if phoneRequired {
                add("\(path).phone", "is required", ru: "укажите телефон")
            }
            if let email = person.email {
                emailProblem(email, "\(path).email")
            } else if emailRequired {
                add("\(path).email", "is required", ru: "укажите адрес электронной почты")
            }
        }

        mutating func phoneProblem(_ phone: String, _ path: String) {
            let digits = phone.filter(\.isNumber)
            let allowed = phone.allSatisfy { $0.isNumber || " +()-".contains($0) } || phone.contains("доб.")
            if !allowed || digits.count < 5 || digits.count > 15 {
                add(
                    path, "\"\(phone)\" is not a phone number (for example +7 (812) 611-44-00)",
                    ru: "«\(phone)» — не номер телефона (например, +7 (812) 611-44-00)")
            }
        }

        mutating func emailProblem(_ email: String, _ path: String) {
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            if parts.count != 2 || parts[0].isEmpty || !parts[1].contains(".") || email.contains(" ") {
                add(path, "\"\(email)\" is not an e-mail address", ru: "«\(email)» — не адрес электронной почты")
            }
        }

        mutating func persons(_ persons: [PersonFacts], _ path: String, registered: CalendarDay?, earlyHelp: Bool) {
            for (index, person) in persons.enumerated() {
                let at = "\(path)[\(index)]"
                if let snils = person.snils, let problem = RussianIdentifiers.snilsProblem(snils) {
                    add("\(at).snils", problem, ru: RussianIdentifiers.snilsProblemInRussian(snils) ?? problem)
                }
                guard let birthDate = person.birthDate, let registered else { continue }
                if birthDate > registered {
                    add(
                        "\(at).birthDate", "\(birthDate.iso) is after the document's date \(registered.iso)",
                        ru: "дата рождения \(birthDate.russian) позже даты документа \(registered.russian)")
                }
                if earlyHelp && person.role == .child {
                    let third = CalendarDay(year: birthDate.year + 3, month: birthDate.month, day: min(birthDate.day, 28))
                    if let third, third <= registered {
                        add(
                            "\(at).birthDate", "a child of the early-help target group is under 3 years old (born \(birthDate.iso))",
                            ru: "в целевую группу ранней помощи входят дети до 3 лет, а ребенок родился \(birthDate.russian)")
                    }
                }
            }
        }

        mutating func workingDeadline(_ deadline: CalendarDay, after registered: CalendarDay, _ path: String) {
            if deadline <= registered {
                add(
                    path, "the response deadline \(deadline.iso) is not after the request's date \(registered.iso)",
                    ru: "срок ответа \(deadline.russian) должен быть позже даты запроса \(registered.russian)")
                return
            }
            do {
                switch try context.calendar.kind(of: deadline, fallback: context.fallback) {
                case .working, .workingWeekend: break
                case .weekend:
                    add(
                        path, "the response deadline \(deadline.iso) falls on a weekend; choose a working day",
                        ru: "срок ответа \(deadline.russian) приходится на выходной день; выберите рабочий день")
                case .holiday(let name):
                    add(
                        path, "the response deadline \(deadline.iso) falls on a non-working day (\(name)); choose a working day",
                        ru: "срок ответа \(deadline.russian) приходится на нерабочий праздничный день (\(name)); выберите рабочий день")
                }
            } catch let error as DocumentError {
                add(path, error.message + (error.hint.map { " — \($0)" } ?? ""), ru: Self.calendarProblemInRussian(deadline.year))
            } catch {
                add(path, "\(error)", ru: Self.calendarProblemInRussian(deadline.year))
            }
        }

        /// The calendar could not tell whether the deadline is a working day.
        static func calendarProblemInRussian(_ year: Int) -> String {
            "производственный календарь шлюза не содержит \(year) год, поэтому срок ответа не проверить; сообщите администратору"
        }

        mutating func request(_ r: InteragencyRequest) {
            request(RequestFacts(r))
        }

        mutating func request(_ r: RequestFacts) {
            let sender = r.sender.flatMap { agency($0, "sender") }
            if let recipient = r.recipient { agency(recipient, "recipient") }
            if let s = r.sender, let t = r.recipient, s.agency == t.agency {
                add(
                    "recipient.agency", "a request cannot be addressed to its own sender", ru: "запрос нельзя адресовать самому отправителю"
                )
            }
            if let letterhead = r.letterhead { self.letterhead(letterhead, of: sender) }
            if r.legalBasis.isEmpty {
                add(
                    "legalBasis", "is required: name the regulation and clause that require the document",
                    ru: "укажите регламент и пункт, на основании которых направляется запрос")
            }
            let participants = [(r.sender, "sender"), (r.recipient, "recipient")].compactMap { pair in pair.0.map { ($0, pair.1) } }
            legalBasis(r.legalBasis, "legalBasis", participants: participants)
            if let deadline = r.deadline, let registered = r.registered {
                workingDeadline(deadline, after: registered, "responseDeadline")
            }
            official(r.compiler, "compiler", phoneRequired: true, emailRequired: true)
            if let signatory = r.signatory { official(signatory, "signatory", phoneRequired: false, emailRequired: false) }
            if let contact = r.contact { contactProblems(contact) }
            if let consent = r.consent {
                if consent.required && !consent.obtained {
                    add(
                        "consent.obtained", "the subject's consent is required for this request but has not been obtained",
                        ru: "для этого запроса нужно согласие субъекта персональных данных, а оно не получено")
                }
                if consent.obtained && consent.date == nil {
                    add("consent.date", "give the date the consent was obtained", ru: "укажите дату получения согласия")
                }
            }
            if r.persons.isEmpty {
                add("personalData", "name at least one person the request is about", ru: "укажите хотя бы одно лицо, о котором запрос")
            }
            let earlyHelp = r.legalBasis.contains { $0.regulation.hasPrefix("459") }
            persons(r.persons, "personalData", registered: r.registered, earlyHelp: earlyHelp)
        }

        mutating func contactProblems(_ contact: ContactDetails) {
            if contact.email == nil && contact.phone == nil && contact.postalAddress == nil {
                add(
                    "contactForAnswer", "give at least one way to send the answer (e-mail, phone or postal address)",
                    ru: "укажите хотя бы один способ направить ответ: e-mail, телефон или почтовый адрес")
            }
            if let phone = contact.phone { phoneProblem(phone, "contactForAnswer.phone") }
            if let email = contact.email { emailProblem(email, "contactForAnswer.email") }
        }

        mutating func answer(_ a: InteragencyAnswer, request: InteragencyRequest?) {
            answer(AnswerFacts(a), request: request)
        }

        mutating func answer(_ a: AnswerFacts, request: InteragencyRequest?) {
            let sender = agency(a.sender, "sender")
            agency(a.recipient, "recipient")
            if let letterhead = a.letterhead { self.letterhead(letterhead, of: sender) }
            if let registered = a.registered, a.inReplyTo.date > registered {
                add(
                    "inReplyTo.date", "the request's date \(a.inReplyTo.date.iso) is after the answer's date \(registered.iso)",
                    ru: "дата запроса \(a.inReplyTo.date.russian) позже даты ответа \(registered.russian)")
            }
            legalBasis(a.legalBasis, "legalBasis", participants: [])
            if let reason = a.refusalReason, reason.count < 10 {
                add("refusal.reason", "a refusal must give its reasons", ru: "изложите причины отказа")
            }
            if let request {
                if request.registration != a.inReplyTo {
                    add(
                        "inReplyTo",
                        "the answer replies to \(a.inReplyTo), but the request given is \(request.registration)",
                        ru: "ответ дан на запрос \(a.inReplyTo), а отвечают на запрос \(request.registration)")
                }
                if request.recipient.agency != a.sender.agency {
                    add(
                        "sender.agency",
                        "the answer comes from \(a.sender.agency), but the request was addressed to \(request.recipient.agency)",
                        ru: "ответ направляет «\(a.sender.agency)», а запрос был адресован «\(request.recipient.agency)»")
                }
                if request.sender.agency != a.recipient.agency {
                    add(
                        "recipient.agency", "the answer goes to \(a.recipient.agency), but the request came from \(request.sender.agency)",
                        ru: "ответ адресован «\(a.recipient.agency)», а запрос пришел от «\(request.sender.agency)»")
                }
            }
            official(a.compiler, "compiler", phoneRequired: true, emailRequired: false)
            if let signatory = a.signatory { official(signatory, "signatory", phoneRequired: false, emailRequired: false) }
            persons(a.persons, "personalData", registered: a.registered, earlyHelp: false)
        }

        mutating func receipt(_ r: DeliveryReceipt) {
            agency(r.sender, "sender")
            agency(r.recipient, "recipient")
            if case .accepted(_, let date) = r.outcome, date < r.receivedDocument.date {
                add(
                    "accepted.incomingDate",
                    "the incoming registration date \(date.iso) is before the document's date \(r.receivedDocument.date.iso)",
                    ru: "дата входящей регистрации \(date.russian) раньше даты документа \(r.receivedDocument.date.russian)")
            }
            if case .rejected(let reason) = r.outcome, reason.count < 10 {
                add("rejected.reason", "a rejection must give its reasons", ru: "изложите причины отказа в приеме")
            }
            if let compiler = r.compiler { official(compiler, "compiler", phoneRequired: false, emailRequired: false) }
        }
    }
}

/// What the request rules look at, known or not yet known: a composed draft may still lack its
/// registration, a deadline or a birth date (composing names them); a received document has them all.
struct RequestFacts {
    /// `nil` when the draft names no agency (composing reports it).
    var sender: AgencyReference?
    var recipient: AgencyReference?
    /// `nil` when the sender is not in the directory.
    var letterhead: DocumentLetterhead?
    var legalBasis: [LegalBasisReference]
    var registered: CalendarDay?
    var deadline: CalendarDay?
    var compiler: OfficialPerson
    var signatory: OfficialPerson?
    /// `nil` when the draft gives none and the sender is unknown (so are its letterhead contacts).
    var contact: ContactDetails?
    var consent: ConsentRecord?
    var persons: [PersonFacts]
}

extension RequestFacts {
    init(_ r: InteragencyRequest) {
        self.init(
            sender: r.sender, recipient: r.recipient, letterhead: r.letterhead, legalBasis: r.legalBasis, registered: r.registration.date,
            deadline: r.responseDeadline, compiler: r.compiler, signatory: r.signatory, contact: r.contactForAnswer, consent: r.consent,
            persons: r.personalData.map(PersonFacts.init))
    }
}

/// What the answer rules look at (see ``RequestFacts``).
struct AnswerFacts {
    var sender: AgencyReference
    var recipient: AgencyReference
    var letterhead: DocumentLetterhead?
    var registered: CalendarDay?
    var inReplyTo: DocumentReference
    var legalBasis: [LegalBasisReference]
    /// The reason, when the answer is a refusal.
    var refusalReason: String?
    var compiler: OfficialPerson
    var signatory: OfficialPerson?
    var persons: [PersonFacts]
}

extension AnswerFacts {
    init(_ a: InteragencyAnswer) {
        var reason: String?
        if case .refusal(let text, _) = a.result { reason = text }
        self.init(
            sender: a.sender, recipient: a.recipient, letterhead: a.letterhead, registered: a.registration.date, inReplyTo: a.inReplyTo,
            legalBasis: a.legalBasis, refusalReason: reason, compiler: a.compiler, signatory: a.signatory,
            persons: a.personalData.map(PersonFacts.init))
    }
}

/// What the rules check of a person: the role, the birth date (when known) and the SNILS.
struct PersonFacts {
    var role: PersonRole
    var birthDate: CalendarDay?
    var snils: String?

    init(role: PersonRole, birthDate: CalendarDay?, snils: String?) {
        self.role = role
        self.birthDate = birthDate
        self.snils = snils
    }

    init(_ p: PersonRecord) { self.init(role: p.role, birthDate: p.birthDate, snils: p.snils) }
}
