import Foundation
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

    /// Whether two ways of writing a person's name are the same person: case, ё/е and spaces
    /// aside, and initials («Иванова М.П.») standing for the given names.
    static func sameName(_ a: String, _ b: String) -> Bool {
        let x = words(a)
        let y = words(b)
        guard let surname = x.first, surname == y.first, x.count == y.count || x.count == 1 || y.count == 1 else { return false }
        if x.count == 1 || y.count == 1 { return x.count == y.count }
        for (p, q) in zip(x.dropFirst(), y.dropFirst()) where p != q {
            let (short, long) = p.count <= q.count ? (p, q) : (q, p)
            guard short.count == 1, long.hasPrefix(short) else { return false }
        }
        return true
    }

    /// The words of a name, lowercased, ё as е, initials split («М.П.» → м, п).
    private static func words(_ name: String) -> [String] {
        name.lowercased().replacingOccurrences(of: "ё", with: "е")
            .split(whereSeparator: { $0 == " " || $0 == "." || $0 == "\u{00A0}" || $0 == "\t" })
            .map(String.init)
    }
}
