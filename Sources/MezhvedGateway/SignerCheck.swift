import MezhvedDocuments
import MezhvedValidation

/// Whether a signatory may sign for an agency: the certificate's organisation (OGRN, INNLE of FSB
/// order 795) must be the agency's.
enum SignerCheck {
    /// Every way the signatory's certificate does not belong to `agency`.
    static func agencyMismatches(_ signatory: Signatory, agency: Agency) -> [String] {
        var reasons: [String] = []
        guard let ogrn = signatory.profile.ogrn else {
            return ["the certificate names no OGRN, so it cannot be shown to belong to \(agency.shortName) (OGRN \(agency.ogrn))"]
        }
        if ogrn != agency.ogrn {
            reasons.append(
                "the certificate belongs to OGRN \(ogrn), not to \(agency.shortName) (OGRN \(agency.ogrn)); give that agency's key")
        }
        if let inn = signatory.profile.innle, inn != agency.inn {
            reasons.append("the certificate's INNLE \(inn) is not the INN \(agency.inn) of \(agency.shortName)")
        }
        return reasons
    }
}
