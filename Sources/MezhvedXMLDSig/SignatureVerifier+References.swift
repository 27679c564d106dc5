internal import CLibXML2
import Foundation
import MezhvedCore

// What a data reference covers: its URI resolved to the whole document or one element outside the
// signature, and the text inside it checked for splices that read differently than signed.

extension VerificationRun {
    mutating func resolve(_ reference: ParsedReference, signature: XMLNodePointer) -> ReferenceTarget? {
        let uri = reference.uri
        var id: String
        var keepsComments = false
        if uri.isEmpty {
            return ReferenceTarget(element: nil, keepsComments: false)
        } else if uri == "#xpointer(/)" {
            return ReferenceTarget(element: nil, keepsComments: true)
        } else if uri.hasPrefix("#xpointer(id('"), uri.hasSuffix("'))") {
            id = String(uri.dropFirst("#xpointer(id('".count).dropLast("'))".count))
            keepsComments = true
        } else if uri.hasPrefix("#"), !uri.hasPrefix("#xpointer") {
            id = String(uri.dropFirst())
        } else {
            fail(
                .reference,
                "reference URI \"\(DocumentText.cut(uri))\" is refused: only the whole document (\"\") or an element of it by Id (\"#Id\") may be signed"
            )
            return nil
        }
        guard !id.isEmpty, !id.contains(where: { $0 == "'" || $0 == "\"" || $0 == "(" || $0 == " " }) else {
            fail(.reference, "reference URI \"\(DocumentText.cut(uri))\" is not a plain Id")
            return nil
        }
        guard
            let element = uniqueElement(
                withID: id,
                missing: "reference \"\(DocumentText.cut(uri))\" points at no element: no element has Id \"\(DocumentText.cut(id))\"")
        else { return nil }
        if element.isInside(signature) {
            fail(
                .wrapping,
                "reference \"\(DocumentText.cut(uri))\" points inside the signature itself (\(element.path)); such content is refused (signature wrapping)"
            )
            return nil
        }
        let enveloped = reference.transforms.contains(.envelopedSignature)
        if signature.isInside(element) && !enveloped {
            fail(.reference, "the signature lies inside the element it signs (\(element.path)) without the enveloped-signature transform")
            return nil
        }
        return ReferenceTarget(element: element, keepsComments: keepsComments)
    }

    /// Refuses what splits text inside signed content without being signed: a comment when comments
    /// are not signed (`<Name>Ivan<!---->ov</Name>` signs "Ivanov" but naive readers see "Ivan"),
    /// and an empty CDATA section (`Ivan<![CDATA[]]>ov`), whose boundaries canonical XML never signs.
    mutating func checkSplicedText(in target: ReferenceTarget, signature: XMLNodePointer) {
        var stack: [XMLNodePointer] = [target.element ?? tree.root]
        while let node = stack.popLast() {
            var child = node.pointee.children
            while let c = child {
                let nextToText = isText(c.pointee.prev) || isText(c.pointee.next)
                if c.pointee.type == XML_ELEMENT_NODE {
                    if c != signature { stack.append(c) }
                } else if c.pointee.type == XML_COMMENT_NODE, !target.keepsComments, nextToText {
                    fail(
                        .commentInjection,
                        "a comment sits inside the signed text of \(node.path) at line \(c.line); comments are not signed, so the text a reader sees may differ from what was signed"
                    )
                    return
                } else if c.pointee.type == XML_CDATA_SECTION_NODE, c.pointee.content?.pointee ?? 0 == 0, nextToText {
                    fail(
                        .commentInjection,
                        "an empty CDATA section splits the signed text of \(node.path) at line \(c.line); CDATA boundaries are not signed, so the text a reader sees may differ from what was signed"
                    )
                    return
                }
                child = c.pointee.next
            }
        }
    }

    func isText(_ node: XMLNodePointer?) -> Bool {
        guard let node, node.pointee.type == XML_TEXT_NODE || node.pointee.type == XML_CDATA_SECTION_NODE else { return false }
        let text = node.pointee.content.map { String(cString: $0) } ?? ""
        return text.unicodeScalars.contains { !($0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t") }
    }
}
