import MezhvedDocuments
import MezhvedXMLDSig

/// Signing an interagency document: the one place that decides whether a signer may sign it.
public enum DocumentSigning {
    /// Refuses, before anything is signed, a signer who does not belong to the agency whose
    /// letterhead the document is on (its sender), or who is not the signatory the document names.
    public static func checkEligibility(of signatory: Signatory, for document: InteragencyDocument, directory: AgencyDirectory) throws {
        let sender = IncomingWorkflow.parties(document).sender
        var reasons: [String]
        if let agency = directory.agency(id: sender) {
            reasons = SignerCheck.agencyMismatches(signatory, agency: agency)
        } else {
            reasons = ["the sender \(sender) is not in the agency directory, so its signer cannot be checked"]
        }
        let named: OfficialPerson?
        switch document {
        case .request(let r): named = r.signatory
        case .answer(let a): named = a.signatory
        case .receipt: named = nil
        }
        if let named, !SignerCheck.sameName(named.fullName, signatory.ownerName) {
            reasons.append(
                "the document names \(named.fullName) as its signatory, but the key of \(signatory.id) belongs to "
                    + "\(signatory.ownerName): sign with \(named.fullName)'s key, or name \(signatory.ownerName) as the signatory")
        }
        guard reasons.isEmpty else {
            throw GatewayError(
                .signerNotEligible,
                "\(signatory.id) may not sign this \(document.kind.rawValue) on the letterhead of \(sender); nothing was signed",
                problems: reasons)
        }
    }

    /// Checks the signer's eligibility, writes the document's XML (schema-checked) and signs it.
    public static func sign(
        _ document: InteragencyDocument, by signatory: Signatory, context: DocumentContext, options: SigningOptions = SigningOptions(),
        sourceName: String
    ) throws -> [UInt8] {
        try checkEligibility(of: signatory, for: document, directory: context.directory)
        let xml = try DocumentComposer(context: context).xml(document)
        return try signatory.signer.sign(xml, sourceName: sourceName, options: options)
    }
}
