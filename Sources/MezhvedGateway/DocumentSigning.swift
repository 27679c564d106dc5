import MezhvedDocuments
import MezhvedValidation
import MezhvedXMLDSig

/// Signing an interagency document: the one place that decides whether a signer may sign it.
public enum DocumentSigning {
    /// Refuses, before anything is signed, a signer who does not belong to the agency whose
    /// letterhead the document is on (its sender), or who is not the signatory the document names.
    public static func checkEligibility(of signatory: Signatory, for document: InteragencyDocument, directory: AgencyDirectory) throws {
        let sender = IncomingWorkflow.parties(document).sender
        let reasons = SignerEligibility(signer: signatory.certificate, document: document, directory: directory).reasons
            .map(\.description)
        guard reasons.isEmpty else {
            throw GatewayError(
                .signerNotEligible,
                "\(signatory.id) may not sign this \(document.kind.rawValue) on the letterhead of \(sender); nothing was signed",
                problems: reasons)
        }
    }

    /// Checks the signer's eligibility, writes the document's XML (schema-checked) and signs it
    /// (`passphrase` unlocks a key unlocked per signing).
    public static func sign(
        _ document: InteragencyDocument, by signatory: Signatory, context: DocumentContext, options: SigningOptions = SigningOptions(),
        sourceName: String, passphrase: [UInt8]? = nil
    ) throws -> [UInt8] {
        try checkEligibility(of: signatory, for: document, directory: context.directory)
        let xml = try DocumentComposer(context: context).xml(document)
        return try signatory.signer(passphrase: passphrase).sign(xml, sourceName: sourceName, options: options)
    }

    /// As ``sign(_:by:context:options:sourceName:)``, from async code, so that XAdES-T can wait for
    /// the time-stamping authority (`options.xades == .t` with a timestamper).
    public static func signAwaitingTimestamp(
        _ document: InteragencyDocument, by signatory: Signatory, context: DocumentContext, options: SigningOptions,
        sourceName: String, passphrase: [UInt8]? = nil
    ) async throws -> [UInt8] {
        try checkEligibility(of: signatory, for: document, directory: context.directory)
        let xml = try DocumentComposer(context: context).xml(document)
        return try await signatory.signer(passphrase: passphrase).signAwaitingTimestamp(xml, sourceName: sourceName, options: options)
    }
}
