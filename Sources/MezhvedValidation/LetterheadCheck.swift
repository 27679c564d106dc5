import Foundation
import MezhvedDocuments
import MezhvedXMLDSig

/// Whether the signer's organisation (OGRN and INNLE of the certificate) is the agency whose
/// letterhead the signed interagency document is on: the letterhead belongs to the sender, so a
/// document of one agency signed with another's certificate is caught here. The comparison is
/// ``SignerEligibility``'s, which the gateway asks before signing.
struct LetterheadCheck {
    let documents: DocumentContext?

    /// Nil when the signed content is not an interagency document (the check does not apply).
    func match(_ signed: [UInt8], sourceName: String, profile: QualifiedCertificateProfile?) -> LetterheadMatch? {
        reading(signed, sourceName: sourceName, profile: profile).match
    }

    /// The match, and the validation of the signed content it read the letterhead from (its schema,
    /// its model and the regulations' rules; nil when it could not be read or there is no directory).
    func reading(_ signed: [UInt8], sourceName: String, profile: QualifiedCertificateProfile?)
        -> (match: LetterheadMatch?, document: DocumentValidationReport?)
    {
        guard let context = documents else {
            let match = LetterheadMatch(
                result: .undetermined, agency: nil, agencyName: nil, expectedOGRN: nil, expectedINN: nil, signerOGRN: profile?.ogrn,
                signerINN: profile?.innle, detail: "the agency directory could not be loaded, so the letterhead was not checked")
            return (match, nil)
        }
        guard let report = try? DocumentValidator(context: context).validate(signed, sourceName: sourceName), report.kind != nil else {
            return (nil, nil)
        }
        return (match(report, context: context, profile: profile), report)
    }

    private func match(_ report: DocumentValidationReport, context: DocumentContext, profile: QualifiedCertificateProfile?)
        -> LetterheadMatch
    {
        guard let document = report.parsed else {
            return LetterheadMatch(
                result: .undetermined, agency: nil, agencyName: nil, expectedOGRN: nil, expectedINN: nil, signerOGRN: profile?.ogrn,
                signerINN: profile?.innle,
                detail: "the signed \(report.kind!.rawValue) does not follow its schema, so its letterhead agency is unknown")
        }
        let sender: AgencyReference
        switch document {
        case .request(let request): sender = request.sender
        case .answer(let answer): sender = answer.sender
        case .receipt(let receipt): sender = receipt.sender
        case .note(let note): sender = note.sender
        }
        let listed = context.directory.agency(id: sender.agency)
        let expectedOGRN = listed?.ogrn ?? sender.ogrn
        let expectedINN = listed?.inn ?? sender.inn
        let name = listed?.fullName ?? sender.name
        func result(_ r: LetterheadMatch.Result, _ detail: String) -> LetterheadMatch {
            LetterheadMatch(
                result: r, agency: sender.agency, agencyName: name, expectedOGRN: expectedOGRN, expectedINN: expectedINN,
                signerOGRN: profile?.ogrn, signerINN: profile?.innle, detail: detail)
        }
        guard let expectedOGRN else {
            return result(.undetermined, "the sending agency \(sender.agency) has no OGRN in the directory or the document")
        }
        let reasons = SignerEligibility.organizationReasons(
            signerOGRN: profile?.ogrn, signerINN: profile?.innle, signerOrganization: profile?.organization,
            agencyName: name, expectedOGRN: expectedOGRN, expectedINN: expectedINN, directory: context.directory)
        guard let reason = reasons.first else {
            return result(.matches, "the signer's organisation (OGRN \(expectedOGRN)) is \(name), whose letterhead the document is on")
        }
        return result(reason.code == .organizationMissing ? .undetermined : .differs, reason.message)
    }
}

/// The version mezhved reports in archived validation reports.
public enum MezhvedVersion {
    public static let string = "0.2.0"
}
