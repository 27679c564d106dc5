internal import CLibXML2
import Foundation
import MezhvedXMLDSig

/// Writes interagency documents as XML (UTF-8, indented, namespace `urn:mezhved:interagency:1.0`
/// as the default namespace). The output always validates against the shipped schemas: the
/// composer checks that before handing a document out.
enum DocumentXMLWriter {
    static func write(_ document: InteragencyDocument) -> [UInt8] {
        var w = Writer()
        w.out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        switch document {
        case .request(let r): w.request(r)
        case .answer(let a): w.answer(a)
        case .receipt(let r): w.receipt(r)
        case .note(let n): w.note(n)
        }
        return Array(w.out.utf8)
    }

    struct Writer {
        var out = ""
        var depth = 0

        mutating func open(_ name: String, _ attributes: [(String, String?)] = [], namespace: Bool = false) {
            out += String(repeating: "  ", count: depth) + "<" + name
            if namespace { out += " xmlns=\"\(interagencyNamespace)\"" }
            for (key, value) in attributes { if let value { out += " \(key)=\"\(Self.escape(value, attribute: true))\"" } }
            out += ">\n"
            depth += 1
        }

        mutating func close(_ name: String) {
            depth -= 1
            out += String(repeating: "  ", count: depth) + "</\(name)>\n"
        }

        mutating func empty(_ name: String, _ attributes: [(String, String?)]) {
            out += String(repeating: "  ", count: depth) + "<" + name
            for (key, value) in attributes { if let value { out += " \(key)=\"\(Self.escape(value, attribute: true))\"" } }
            out += "/>\n"
        }

        mutating func text(_ name: String, _ value: String?, _ attributes: [(String, String?)] = []) {
            guard let value else { return }
            out += String(repeating: "  ", count: depth) + "<" + name
            for (key, attribute) in attributes { if let attribute { out += " \(key)=\"\(Self.escape(attribute, attribute: true))\"" } }
            out += ">" + Self.escape(value, attribute: false) + "</\(name)>\n"
        }

        static func escape(_ s: String, attribute: Bool) -> String {
            var result = ""
            result.reserveCapacity(s.utf8.count)
            for scalar in s.unicodeScalars {
                switch scalar {
                case "&": result += "&amp;"
                case "<": result += "&lt;"
                case ">": result += "&gt;"
                case "\"" where attribute: result += "&quot;"
                case "\r": result += "&#xD;"
                case "\n" where attribute: result += "&#xA;"
                case "\t" where attribute: result += "&#x9;"
                default: result.unicodeScalars.append(scalar)
                }
            }
            return result
        }

        mutating func letterhead(_ l: DocumentLetterhead) {
            open("Letterhead")
            text("CoatOfArms", l.coatOfArms)
            text("AgencyName", l.agencyName)
            text("AgencyShortName", l.agencyShortName)
            text("PostalAddress", l.postalAddress)
            text("Phone", l.phone)
            text("Email", l.email)
            text("Website", l.website)
            close("Letterhead")
        }

        mutating func agency(_ name: String, _ a: AgencyReference) {
            open(name, [("agency", a.agency)])
            text("Name", a.name)
            text("OGRN", a.ogrn)
            text("INN", a.inn)
            close(name)
        }

        mutating func reference(_ name: String, _ r: DocumentReference) {
            empty(name, [("number", r.number), ("date", r.date.iso)])
        }

        mutating func legalBasis(_ b: LegalBasisReference) {
            text("LegalBasis", b.title, [("regulation", b.regulation), ("clause", b.clause)])
        }

        mutating func official(_ name: String, _ o: OfficialPerson) {
            open(name)
            text("FullName", o.fullName)
            text("Position", o.position)
            text("Phone", o.phone)
            text("Email", o.email)
            close(name)
        }

        mutating func personalData(_ persons: [PersonRecord]) {
            open("PersonalData")
            for p in persons {
                open("Person", [("role", p.role.rawValue)])
                text("LastName", p.lastName)
                text("FirstName", p.firstName)
                text("MiddleName", p.middleName)
                text("BirthDate", p.birthDate.iso)
                text("SNILS", p.snils)
                text("Address", p.address)
                text("IdentityDocument", p.identityDocument)
                close("Person")
            }
            close("PersonalData")
        }

        mutating func request(_ r: InteragencyRequest) {
            open("Request", [("Id", r.id), ("version", "1.0")], namespace: true)
            letterhead(r.letterhead)
            reference("Registration", r.registration)
            agency("Sender", r.sender)
            agency("Recipient", r.recipient)
            text("Service", r.service.name, [("registryId", r.service.registryId)])
            for b in r.legalBasis { legalBasis(b) }
            text("Subject", r.subject)
            text("InformationNeeded", r.informationNeeded)
            text("RequestedDocument", r.requestedDocument)
            text("ResponseDeadline", r.responseDeadline.iso, [("provisional", r.responseDeadlineProvisional == true ? "true" : nil)])
            open("ContactForAnswer")
            text("PostalAddress", r.contactForAnswer.postalAddress)
            text("Phone", r.contactForAnswer.phone)
            text("Email", r.contactForAnswer.email)
            close("ContactForAnswer")
            if let c = r.consent {
                if let document = c.document {
                    open("Consent", [("required", String(c.required)), ("obtained", String(c.obtained)), ("date", c.date?.iso)])
                    text("Document", document)
                    close("Consent")
                } else {
                    empty("Consent", [("required", String(c.required)), ("obtained", String(c.obtained)), ("date", c.date?.iso)])
                }
            }
            official("Compiler", r.compiler)
            official("Signatory", r.signatory)
            personalData(r.personalData)
            close("Request")
        }

        mutating func answer(_ a: InteragencyAnswer) {
            open("Answer", [("Id", a.id), ("version", "1.0")], namespace: true)
            letterhead(a.letterhead)
            reference("Registration", a.registration)
            reference("InReplyTo", a.inReplyTo)
            agency("Sender", a.sender)
            agency("Recipient", a.recipient)
            for b in a.legalBasis { legalBasis(b) }
            text("Subject", a.subject)
            switch a.result {
            case .provided(let documents):
                open("Provided")
                for d in documents {
                    open("Document")
                    text("Name", d.name)
                    switch d.body {
                    case .text(let content):
                        text("Content", content)
                    case .attachment(let fileName, let mediaType, let data):
                        text("Attachment", Data(data).base64EncodedString(), [("fileName", fileName), ("mediaType", mediaType)])
                    }
                    close("Document")
                }
                close("Provided")
            case .refusal(let reason, let basis):
                open("Refusal")
                text("Reason", reason)
                if let basis { legalBasis(basis) }
                close("Refusal")
            }
            official("Compiler", a.compiler)
            official("Signatory", a.signatory)
            if !a.personalData.isEmpty { personalData(a.personalData) }
            close("Answer")
        }

        mutating func receipt(_ r: DeliveryReceipt) {
            open("Receipt", [("Id", r.id), ("version", "1.0")], namespace: true)
            agency("Sender", r.sender)
            agency("Recipient", r.recipient)
            empty(
                "ReceivedDocument",
                [
                    ("number", r.receivedDocument.number), ("date", r.receivedDocument.date.iso), ("kind", r.receivedKind.rawValue),
                    ("digestAlgorithm", r.receivedDigestAlgorithm), ("digest", r.receivedDigest),
                ])
            text("ReceivedAt", r.receivedAt)
            switch r.outcome {
            case .accepted(let number, let date):
                empty("Accepted", [("incomingNumber", number), ("incomingDate", date.iso)])
            case .rejected(let reason):
                open("Rejected")
                text("Reason", reason)
                close("Rejected")
            }
            if let c = r.compiler { official("Compiler", c) }
            close("Receipt")
        }
    }
}

/// Reads a schema-valid document into the model. Run only after schema validation: the
/// structure is then known, and a missing mandatory element cannot happen.
enum DocumentXMLReader {
    static func read(_ tree: XMLTree) throws -> InteragencyDocument {
        let root = tree.root
        guard root.namespaceURI == interagencyNamespace, let kind = DocumentKind(rootElement: root.localName) else {
            throw DocumentError(
                .invalidDocument, "\(tree.sourceName) is not a mezhved interagency document",
                problems: [DocumentProblem(path: root.localName, message: "unexpected root element", line: root.line)])
        }
        let r = Node(root)
        switch kind {
        case .request:
            return .request(
                InteragencyRequest(
                    id: r.attr("Id"), letterhead: letterhead(r.child("Letterhead")),
                    registration: try reference(r.child("Registration"), "Registration"),
                    sender: agency(r.child("Sender")), recipient: agency(r.child("Recipient")),
                    service: ServiceReference(name: r.text("Service"), registryId: r.child("Service").optionalAttr("registryId")),
                    legalBasis: r.children("LegalBasis").map(legalBasis), subject: r.text("Subject"),
                    informationNeeded: r.text("InformationNeeded"), requestedDocument: r.text("RequestedDocument"),
                    responseDeadline: try day(r.text("ResponseDeadline"), r.child("ResponseDeadline"), "ResponseDeadline"),
                    contactForAnswer: contact(r.child("ContactForAnswer")),
                    consent: r.optionalChild("Consent").map(consent), compiler: official(r.child("Compiler")),
                    signatory: official(r.child("Signatory")), personalData: try persons(r.optionalChild("PersonalData")),
                    responseDeadlineProvisional: Self.provisional(r.child("ResponseDeadline"))))
        case .answer:
            let result: AnswerResult
            if let provided = r.optionalChild("Provided") {
                result = .provided(
                    provided.children("Document").map { d in
                        if let content = d.optionalText("Content") {
                            return ProvidedDocument(name: d.text("Name"), body: .text(content))
                        }
                        let a = d.child("Attachment")
                        // XML whitespace out, byte by byte (a scanned attachment is tens of MB: no Characters).
                        let base64 = Data(a.content.utf8.filter { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 })
                        let data = Data(base64Encoded: base64).map { [UInt8]($0) } ?? []
                        return ProvidedDocument(
                            name: d.text("Name"),
                            body: .attachment(fileName: a.attr("fileName"), mediaType: a.attr("mediaType"), data: data))
                    })
            } else {
                let refusal = r.child("Refusal")
                result = .refusal(reason: refusal.text("Reason"), legalBasis: refusal.optionalChild("LegalBasis").map(legalBasis))
            }
            return .answer(
                InteragencyAnswer(
                    id: r.attr("Id"), letterhead: letterhead(r.child("Letterhead")),
                    registration: try reference(r.child("Registration"), "Registration"),
                    inReplyTo: try reference(r.child("InReplyTo"), "InReplyTo"), sender: agency(r.child("Sender")),
                    recipient: agency(r.child("Recipient")),
                    legalBasis: r.children("LegalBasis").map(legalBasis), subject: r.text("Subject"), result: result,
                    compiler: official(r.child("Compiler")), signatory: official(r.child("Signatory")),
                    personalData: try persons(r.optionalChild("PersonalData"))))
        case .note:
            return .note(try note(r))
        case .receipt:
            let received = r.child("ReceivedDocument")
            let outcome: ReceiptOutcome
            if let accepted = r.optionalChild("Accepted") {
                outcome = .accepted(
                    incomingNumber: accepted.attr("incomingNumber"),
                    incomingDate: try day(accepted.attr("incomingDate"), accepted, "Accepted/@incomingDate"))
            } else {
                outcome = .rejected(reason: r.child("Rejected").text("Reason"))
            }
            return .receipt(
                DeliveryReceipt(
                    id: r.attr("Id"), sender: agency(r.child("Sender")), recipient: agency(r.child("Recipient")),
                    receivedKind: DocumentKind(rawValue: received.attr("kind")) ?? .request,
                    receivedDocument: try reference(received, "ReceivedDocument"),
                    receivedDigestAlgorithm: received.optionalAttr("digestAlgorithm"),
                    receivedDigest: received.optionalAttr("digest"), receivedAt: r.text("ReceivedAt"), outcome: outcome,
                    compiler: r.optionalChild("Compiler").map(official)))
        }
    }

    /// Element access by local name in the interagency namespace.
    struct Node {
        let node: XMLNodePointer
        init(_ node: XMLNodePointer) { self.node = node }

        func optionalChild(_ name: String) -> Node? {
            node.elementChildren.first { $0.isElement(name, namespace: interagencyNamespace) }.map(Node.init)
        }
        func child(_ name: String) -> Node { optionalChild(name) ?? self }
        func children(_ name: String) -> [Node] {
            node.elementChildren.filter { $0.isElement(name, namespace: interagencyNamespace) }.map(Node.init)
        }
        var content: String { node.textContent }
        func text(_ name: String) -> String { optionalText(name) ?? "" }
        func optionalText(_ name: String) -> String? { optionalChild(name)?.content }
        func attr(_ name: String) -> String { node.attribute(name) ?? "" }
        func optionalAttr(_ name: String) -> String? { node.attribute(name) }
        var line: Int { node.line }
    }

    /// The day an `xs:date` names. The schema also admits forms a registration cannot carry (a time
    /// zone, a year before 1 or after 9999): such a date is a problem of the document, at its element.
    /// The `provisional` mark of a deadline: `true` for `provisional="true"` (or `"1"`), else nil.
    static func provisional(_ node: Node) -> Bool? {
        let value = node.optionalAttr("provisional")?.trimmingCharacters(in: .whitespaces)
        return value == "true" || value == "1" ? true : nil
    }

    static func day(_ s: String, _ node: Node, _ path: String) throws -> CalendarDay {
        if let day = CalendarDay(iso: s) { return day }
        throw DocumentError(
            .invalidDocument, "the document has a date that is not a calendar day",
            problems: [
                DocumentProblem(path: path, message: "\"\(s)\" is not a date written as YYYY-MM-DD (without a time zone)", line: node.line)
            ])
    }

    static func letterhead(_ n: Node) -> DocumentLetterhead {
        DocumentLetterhead(
            coatOfArms: n.text("CoatOfArms"), agencyName: n.text("AgencyName"), agencyShortName: n.optionalText("AgencyShortName"),
            postalAddress: n.text("PostalAddress"), phone: n.text("Phone"), email: n.text("Email"), website: n.optionalText("Website"))
    }

    static func agency(_ n: Node) -> AgencyReference {
        AgencyReference(agency: n.attr("agency"), name: n.text("Name"), ogrn: n.optionalText("OGRN"), inn: n.optionalText("INN"))
    }

    static func reference(_ n: Node, _ path: String) throws -> DocumentReference {
        DocumentReference(number: n.attr("number"), date: try day(n.attr("date"), n, "\(path)/@date"))
    }

    static func legalBasis(_ n: Node) -> LegalBasisReference {
        LegalBasisReference(regulation: n.attr("regulation"), clause: n.attr("clause"), title: n.content)
    }

    static func official(_ n: Node) -> OfficialPerson {
        OfficialPerson(
            fullName: n.text("FullName"), position: n.text("Position"), phone: n.optionalText("Phone"), email: n.optionalText("Email"))
    }

    static func contact(_ n: Node) -> ContactDetails {
        ContactDetails(postalAddress: n.optionalText("PostalAddress"), phone: n.optionalText("Phone"), email: n.optionalText("Email"))
    }

    static func consent(_ n: Node) -> ConsentRecord {
        ConsentRecord(
            required: n.attr("required") == "true" || n.attr("required") == "1",
            obtained: n.attr("obtained") == "true" || n.attr("obtained") == "1",
            date: n.optionalAttr("date").flatMap(CalendarDay.init(iso:)),
            document: n.optionalText("Document"))
    }

    static func persons(_ n: Node?) throws -> [PersonRecord] {
        guard let n else { return [] }
        return try n.children("Person").enumerated().map { index, p in
            PersonRecord(
                role: PersonRole(rawValue: p.attr("role")) ?? .subject, lastName: p.text("LastName"), firstName: p.text("FirstName"),
                middleName: p.optionalText("MiddleName"),
                birthDate: try day(p.text("BirthDate"), p.child("BirthDate"), "PersonalData/Person[\(index + 1)]/BirthDate"),
                snils: p.optionalText("SNILS"),
                address: p.optionalText("Address"), identityDocument: p.optionalText("IdentityDocument"))
        }
    }
}
