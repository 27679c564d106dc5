internal import CLibXML2
import Foundation
import MezhvedCore

// The XAdES signed properties that declare what a signature means (EN 319 132-1 §5.2.3–5.2.9):
// the signature policy, the signer's claimed roles, the commitment, the format of each signed data
// object. They are reported as declared; an explicit policy is named but not enforced (mezhved
// validates under the implied policy), and a property naming a reference the signature does not
// have is a failure: it would describe data that is not signed.

extension VerificationRun {
    /// Reads the declared properties under `signedProperties`. `documentReferenceIDs` are the `Id`s
    /// of the signature's data references: the only ones a DataObjectFormat or a
    /// CommitmentTypeIndication may name.
    mutating func declaredProperties(_ signedProperties: XMLNodePointer?, documentReferenceIDs: Set<String>)
        -> XAdESDeclaredProperties
    {
        let signatureProperties = firstChild(signedProperties, "SignedSignatureProperties")
        let dataObjectProperties = firstChild(signedProperties, "SignedDataObjectProperties")
        var policy: String? = nil
        if let identifier = firstChild(signatureProperties, "SignaturePolicyIdentifier") {
            if firstChild(identifier, "SignaturePolicyImplied") != nil {
                policy = "implied"
            } else if let named = firstChild(firstChild(firstChild(identifier, "SignaturePolicyId"), "SigPolicyId"), "Identifier") {
                let text = DocumentText.cut(named.textContent.trimmingCharacters(in: .whitespacesAndNewlines))
                policy = text
                warnings.append(
                    "the signature names the explicit signature policy \"\(text)\"; mezhved does not apply policy documents and validated it under the implied policy"
                )
            } else {
                fail(
                    .signedProperties,
                    "xades:SignaturePolicyIdentifier at line \(identifier.line) names no policy and is not SignaturePolicyImplied")
            }
        }
        let role = firstChild(signatureProperties, "SignerRoleV2") ?? firstChild(signatureProperties, "SignerRole")
        let claimedRoles = (firstChild(role, "ClaimedRoles")?.elementChildren ?? []).filter { isXAdES($0, "ClaimedRole") }.map {
            DocumentText.cut($0.textContent.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        var formats: [XAdESDeclaredProperties.DataObjectFormat] = []
        var commitments: [String] = []
        for property in dataObjectProperties?.elementChildren ?? [] {
            if isXAdES(property, "DataObjectFormat") {
                let reference = property.attribute("ObjectReference") ?? ""
                guard namesDocumentReference(reference, documentReferenceIDs, what: "xades:DataObjectFormat", line: property.line) else {
                    continue
                }
                func text(_ name: String) -> String? {
                    firstChild(property, name).map { DocumentText.cut($0.textContent.trimmingCharacters(in: .whitespacesAndNewlines)) }
                }
                formats.append(
                    .init(
                        objectReference: DocumentText.cut(reference), mimeType: text("MimeType"), description: text("Description"),
                        encoding: text("Encoding")))
            } else if isXAdES(property, "CommitmentTypeIndication") {
                for named in property.elementChildren where isXAdES(named, "ObjectReference") {
                    _ = namesDocumentReference(
                        named.textContent.trimmingCharacters(in: .whitespacesAndNewlines), documentReferenceIDs,
                        what: "xades:CommitmentTypeIndication", line: named.line)
                }
                if let identifier = firstChild(firstChild(property, "CommitmentTypeId"), "Identifier") {
                    commitments.append(DocumentText.cut(identifier.textContent.trimmingCharacters(in: .whitespacesAndNewlines)))
                } else {
                    fail(.signedProperties, "xades:CommitmentTypeIndication at line \(property.line) has no CommitmentTypeId/Identifier")
                }
            }
        }
        return XAdESDeclaredProperties(
            signaturePolicy: policy, commitmentTypes: commitments, claimedRoles: claimedRoles, dataObjectFormats: formats)
    }

    /// Whether `reference` is `#` and the Id of one of the signature's data references; a failure
    /// naming `what` otherwise.
    private mutating func namesDocumentReference(_ reference: String, _ ids: Set<String>, what: String, line: Int) -> Bool {
        if reference.hasPrefix("#"), ids.contains(String(reference.dropFirst())) { return true }
        fail(
            .signedProperties,
            "\(what) at line \(line) describes the reference \"\(DocumentText.cut(reference))\", which is not a data reference of this signature: it would describe data that is not signed"
        )
        return false
    }
}
