internal import CLibXML2
import Foundation
import MezhvedCore
import MezhvedDocuments
import MezhvedXMLDSig

/// What the journal records from an interagency document itself.
public struct DocumentFacts: Sendable, Equatable {
    public var kind: DocumentKind
    public var sender: String?
    public var recipient: String?
    public var number: String?
    public var date: String?
    public var inReplyTo: String?
    public var deadline: String?
    /// Whether the document marks its deadline provisional (`ResponseDeadline/@provisional`).
    public var deadlineProvisional = false
    public var isSigned: Bool
    /// For a receipt: whether it rejects the document it acknowledges (a `Rejected` element).
    public var receiptRejects = false
    /// How many `PersonalData` elements (in the interagency namespace) the document holds.
    public var personalDataElements = 0

    /// Reads the facts of an interagency document (request, answer or receipt). Throws when it is
    /// not XML or not an interagency document.
    public static func read(_ bytes: [UInt8], sourceName: String) throws -> DocumentFacts {
        let tree = try XMLTree.parse(bytes, sourceName: sourceName, limits: XMLParsingLimits())
        let root = tree.root
        guard root.namespaceURI == interagencyNamespace, let kind = DocumentKind.allCases.first(where: { $0.rootElement == root.localName })
        else {
            throw ArchiveError(
                .documentRefused, "\(sourceName) is not an interagency document (root \(DocumentText.cut(root.localName)))",
                hint: "archive requests, answers and receipts in \(interagencyNamespace)")
        }
        func child(_ node: XMLNodePointer, _ name: String) -> XMLNodePointer? {
            node.elementChildren.first { $0.isElement(name, namespace: interagencyNamespace) }
        }
        var facts = DocumentFacts(kind: kind, isSigned: false)
        facts.isSigned = root.elementChildren.contains { $0.isElement("Signature", namespace: XMLDSigNamespace.dsig) }
        facts.sender = child(root, "Sender")?.attribute("agency")
        facts.recipient = child(root, "Recipient")?.attribute("agency")
        let registration = child(root, "Registration") ?? child(root, "ReceivedDocument")
        if kind != .receipt {
            facts.number = registration?.attribute("number")
            facts.date = registration?.attribute("date")
        }
        facts.inReplyTo = child(root, "InReplyTo")?.attribute("number") ?? (kind == .receipt ? registration?.attribute("number") : nil)
        facts.receiptRejects = kind == .receipt && child(root, "Rejected") != nil
        tree.forEachElement { element in
            if element.isElement("PersonalData", namespace: interagencyNamespace) { facts.personalDataElements += 1 }
        }
        let deadline = child(root, "ResponseDeadline")
        facts.deadline = deadline?.textContent.trimmingCharacters(in: .whitespacesAndNewlines)
        let provisional = deadline?.attribute("provisional")?.trimmingCharacters(in: .whitespaces)
        facts.deadlineProvisional = provisional == "true" || provisional == "1"
        return facts
    }
}
