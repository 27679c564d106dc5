import Foundation
import MezhvedCore
import MezhvedXMLDSig

/// The result of validating one document: every schema violation and every broken rule.
public struct DocumentValidationReport: Sendable {
    /// The document's name (its path).
    public let document: String
    /// The document's kind, when the root element says.
    public let kind: DocumentKind?
    /// Every problem; empty when the document is valid.
    public let problems: [DocumentProblem]
    /// The document read into the model (when it matched its schema).
    public let parsed: InteragencyDocument?
    /// Whether the document carries an XML signature (checked by `mezhved verify`, not here).
    public let isSigned: Bool

    public var isValid: Bool { problems.isEmpty }
}

/// Validates interagency documents: the schema (libxml2's XSD validation) first, then the rules of
/// the regulations. Unusable input (not XML, DTDs) throws ``XMLDSigError``; an invalid document is
/// a returned report.
public struct DocumentValidator: Sendable {
    public let context: DocumentContext
    public let limits: XMLParsingLimits

    public init(context: DocumentContext, limits: XMLParsingLimits = XMLParsingLimits()) {
        self.context = context
        self.limits = limits
    }

    /// Validates `bytes`. For an answer, `request` (the request it answers) lets the checks match
    /// "на № … от …", the sender and the recipient against it.
    public func validate(_ bytes: [UInt8], sourceName: String, request: InteragencyRequest? = nil) throws -> DocumentValidationReport {
        let tree = try XMLTree.parse(bytes, sourceName: sourceName, limits: limits)
        let root = tree.root
        let signed = root.elementChildren.contains { $0.isElement("Signature", namespace: XMLDSigNamespace.dsig) }
        guard root.namespaceURI == interagencyNamespace, let kind = DocumentKind(rootElement: root.localName) else {
            let got = root.namespaceURI.map { "{\(DocumentText.cut($0))}" } ?? ""
            return DocumentValidationReport(
                document: sourceName, kind: nil,
                problems: [
                    DocumentProblem(
                        path: root.path,
                        message:
                            "not an interagency document: the root element is \(got)\(DocumentText.cut(root.localName)), expected Request, Answer or Receipt in \(interagencyNamespace)",
                        line: root.line)
                ], parsed: nil, isSigned: signed)
        }
        let violations = try DocumentSchemas.schema(for: kind).violations(of: tree)
        if !violations.isEmpty {
            return DocumentValidationReport(document: sourceName, kind: kind, problems: violations, parsed: nil, isSigned: signed)
        }
        let document: InteragencyDocument
        do {
            document = try DocumentXMLReader.read(tree)
        } catch let error as DocumentError where error.code == .invalidDocument && !error.problems.isEmpty {
            return DocumentValidationReport(document: sourceName, kind: kind, problems: error.problems, parsed: nil, isSigned: signed)
        }
        let problems = DocumentRules.check(document, context: context, request: request)
        return DocumentValidationReport(document: sourceName, kind: kind, problems: problems, parsed: document, isSigned: signed)
    }

    /// Reads a document that must be valid; throws ``DocumentError`` listing every problem otherwise.
    public func read(_ bytes: [UInt8], sourceName: String) throws -> InteragencyDocument {
        let report = try validate(bytes, sourceName: sourceName)
        guard report.isValid, let parsed = report.parsed else {
            throw DocumentError(
                .invalidDocument, "\(sourceName) is not a valid interagency document: \(report.problems.count) problem(s)",
                hint: "run `mezhved validate \(sourceName)`", problems: report.problems)
        }
        return parsed
    }

    /// The XSD files shipped with mezhved (to publish or to run `xmllint --schema` with).
    public static func schemaPath(for kind: DocumentKind) -> String? {
        DocumentSchemas.folder.map { ($0 as NSString).appendingPathComponent(kind.schemaFile) }
    }
}
