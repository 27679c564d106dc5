internal import CLibXML2
import Foundation
import MezhvedCore

// References to the signature's own ds:KeyInfo. Signing KeyInfo protects the certificate the
// signature names (signxml does it by default, the EU DSS offers it): what such a reference covers
// is inside the signature, so it is accepted only when it resolves to exactly one element, that
// element is this signature's KeyInfo or lies inside it, and its transforms are at most one
// canonicalization. Anything else pointing into the signature stays refused as wrapping.

extension VerificationRun {
    /// Whether `reference` names, by a plain `#Id`, exactly one element of the document and that
    /// element is `keyInfo` or lies inside it. A repeated Id is not: the reference then goes the
    /// document references' way and is refused there as `duplicate-id`.
    func coversOwnKeyInfo(_ reference: ParsedReference, keyInfo: XMLNodePointer?) -> Bool {
        guard let keyInfo, let id = Self.plainID(reference.uri) else { return false }
        let matches = elementsWithID(id, in: tree)
        return matches.count == 1 && matches[0].isInside(keyInfo)
    }

    /// The Id of `#Id` (or `#xpointer(id('Id'))`), nil for any other URI.
    static func plainID(_ uri: String) -> String? {
        var id: Substring
        if uri.hasPrefix("#xpointer(id('"), uri.hasSuffix("'))") {
            id = uri.dropFirst("#xpointer(id('".count).dropLast("'))".count)
        } else if uri.hasPrefix("#"), !uri.hasPrefix("#xpointer") {
            id = uri.dropFirst()
        } else {
            return nil
        }
        guard !id.isEmpty, !id.contains(where: { $0 == "'" || $0 == "\"" || $0 == "(" || $0 == " " }) else { return nil }
        return String(id)
    }

    /// Digests what a KeyInfo reference covers and records it with the role `keyInfo`. Returns
    /// false when the reference is refused (its transforms): the signature is then worthless.
    mutating func checkKeyInfoReference(_ reference: ParsedReference, keyInfo: XMLNodePointer?) -> Bool {
        guard let keyInfo, let id = Self.plainID(reference.uri),
            let element = elementsWithID(id, in: tree).first
        else { return false }
        let onlyCanonicalization = reference.transforms.allSatisfy {
            if case .canonicalization = $0 { return true }
            return false
        }
        guard onlyCanonicalization, reference.transforms.count <= 1 else {
            fail(
                .algorithm,
                "reference \"\(DocumentText.cut(reference.uri))\" covers the signature's KeyInfo (line \(keyInfo.line)); such a reference may have one canonicalization transform and nothing else"
            )
            return false
        }
        let target = ReferenceTarget(element: element, keepsComments: reference.uri.hasPrefix("#xpointer"))
        do {
            let output = try ReferenceProcessor.digest(
                tree: tree, target: target, signature: nil, transforms: reference.transforms, digest: reference.digest,
                limits: policy.limits, keepOctets: false)
            recordDigest(of: reference, role: .keyInfo, target: target, output: output)
            return true
        } catch {
            fail(.reference, "reference \"\(DocumentText.cut(reference.uri))\" to the signature's KeyInfo could not be processed: \(error)")
            return false
        }
    }
}
