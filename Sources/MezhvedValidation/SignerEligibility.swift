internal import COpenSSL
import Foundation
import MezhvedDocuments
import MezhvedXMLDSig

/// Whether a certificate's owner may sign an interagency document: the certificate must belong
/// to the agency whose letterhead the document is on (its OGRN and INNLE are that agency's in the
/// directory), and its owner must be the signatory the document's signature block names.
///
/// Ask before signing: a document of one agency signed with another's key, or signed by somebody
/// other than the person named under it, is refused with every reason at once. The check is a
/// returned value, never a thrown error; ``isEligible`` is `true` when ``reasons`` is empty.
public struct SignerEligibility: Sendable, Equatable, Codable {
    /// One reason the signer is not eligible: what was expected, what was found, what to do.
    public struct Reason: Sendable, Equatable, Codable, CustomStringConvertible {
        /// What kind of reason it is. New codes may be added; compare with the static constants.
        public struct Code: Hashable, Sendable, Codable, CustomStringConvertible {
            /// The code's stable name (for JSON and logs).
            public let rawValue: String

            public init(rawValue: String) { self.rawValue = rawValue }

            public var description: String { rawValue }

            /// The document's sending agency is not in the directory, so whose key may sign is unknown.
            public static let agencyUnknown = Code(rawValue: "agency-unknown")
            /// The certificate names no well-formed OGRN (1.2.643.100.1): it is not a legal entity's official's.
            public static let organizationMissing = Code(rawValue: "organization-missing")
            /// The certificate's OGRN is not the letterhead agency's: another organisation's key.
            public static let organizationDiffers = Code(rawValue: "organization-differs")
            /// The OGRN matches, but the certificate's INNLE (1.2.643.100.4) is not the agency's INN.
            public static let innDiffers = Code(rawValue: "inn-differs")
            /// The certificate names no owner (neither SN and G nor CN).
            public static let ownerNameMissing = Code(rawValue: "owner-name-missing")
            /// The certificate's owner is not the signatory the document names.
            public static let signatoryDiffers = Code(rawValue: "signatory-differs")
        }

        public let code: Code
        /// What the document requires (an OGRN and the agency's name, the signatory's name).
        public let expected: String
        /// What the certificate says.
        public let found: String
        /// The reason in one sentence, naming both.
        public let message: String
        /// What to do about it.
        public let remedy: String

        public var description: String { "\(message) — \(remedy)" }

        /// The reason and what to do, in Russian, for the clerk's page.
        public var russian: String {
            switch code {
            case .agencyUnknown:
                return "отправителя \(found) нет в справочнике органов, поэтому неизвестно, чей ключ может подписать документ"
            case .organizationMissing:
                return
                    "в сертификате подписанта нет ОГРН, его не сопоставить с бланком (нужен \(expected)); подпишите квалифицированным сертификатом должностного лица органа"
            case .organizationDiffers:
                return
                    "документ на бланке органа с \(expected), а сертификат подписанта выдан организации с \(found); подпишите ключом должностного лица своего органа"
            case .innDiffers:
                return "ИНН организации в сертификате подписанта (\(found)) не совпадает с ИНН органа (\(expected))"
            case .ownerNameMissing:
                return "в сертификате не указан владелец, его не сопоставить с подписантом \(expected)"
            case .signatoryDiffers:
                return
                    "подписантом документа указан(а) \(expected), а сертификат принадлежит \(found); подпишите своим ключом или укажите подписантом владельца сертификата"
            default:
                return message
            }
        }
    }

    /// The letterhead agency's directory id, as the document names it.
    public let agency: String
    /// The signatory the document names (its full name), or `nil` for a document without one (a receipt).
    public let signatory: String?
    /// The certificate's organisation (O), when it has one.
    public let signerOrganization: String?
    /// The certificate's owner: SN and G (FSB order 795), else CN.
    public let signerName: String?
    /// Every reason the signer is not eligible; empty when eligible.
    public let reasons: [Reason]

    /// Whether the certificate's owner may sign the document.
    public var isEligible: Bool { reasons.isEmpty }

    /// Checks `signer` against the document's sending agency (`sender`, looked up in `directory`
    /// by its id) and the signatory it names (`nil` for a receipt: only the organisation is checked).
    public init(signer: Certificate, sender: AgencyReference, signatory: OfficialPerson?, directory: AgencyDirectory) {
        let fields = CertificateFields(signer)
        let profile = QualifiedCertificateProfile(signer)
        let owner = Self.ownerNames(fields)
        var reasons: [Reason] = []
        if let agency = directory.agency(id: sender.agency) {
            reasons += Self.organizationReasons(
                signerOGRN: profile.ogrn, signerINN: profile.innle, signerOrganization: profile.organization, agencyName: agency.fullName,
                expectedOGRN: agency.ogrn, expectedINN: agency.inn, directory: directory)
        } else {
            reasons.append(
                Reason(
                    code: .agencyUnknown, expected: "an agency of the directory", found: "\"\(sender.agency)\"",
                    message:
                        "the document's sender \"\(sender.agency)\" is not in the agency directory, so whose key may sign it is unknown",
                    remedy: "correct the document's sender, or add the agency to the directory (docs/directory.md)"))
        }
        if let signatory {
            if owner.isEmpty {
                reasons.append(
                    Reason(
                        code: .ownerNameMissing, expected: signatory.fullName, found: "no SN, G or CN",
                        message:
                            "the certificate names no owner (neither SN and G nor CN), so it cannot be matched to the signatory \(signatory.fullName)",
                        remedy: "sign with \(signatory.fullName)'s qualified certificate"))
            } else if !owner.contains(where: { Self.namesMatch(certificateName: $0, documentName: signatory.fullName) }) {
                reasons.append(
                    Reason(
                        code: .signatoryDiffers, expected: signatory.fullName, found: owner[0],
                        message: "the document names \(signatory.fullName) as its signatory, but the certificate belongs to \(owner[0])",
                        remedy: "sign with \(signatory.fullName)'s own key, or name \(owner[0]) (with their position) as the signatory"))
            }
        }
        self.agency = sender.agency
        self.signatory = signatory?.fullName
        self.signerOrganization = profile.organization
        self.signerName = owner.first
        self.reasons = reasons
    }

    /// Checks `signer` against `document`'s sending agency and its signatory (a receipt names none).
    public init(signer: Certificate, document: InteragencyDocument, directory: AgencyDirectory) {
        switch document {
        case .request(let r): self.init(signer: signer, sender: r.sender, signatory: r.signatory, directory: directory)
        case .answer(let a): self.init(signer: signer, sender: a.sender, signatory: a.signatory, directory: directory)
        case .receipt(let r): self.init(signer: signer, sender: r.sender, signatory: nil, directory: directory)
        case .note(let n): self.init(signer: signer, sender: n.sender, signatory: n.signatory, directory: directory)
        }
    }

    /// Whether a certificate's owner name and a document's full name are the same person's:
    /// compared without regard to case, ё/е and extra spaces; a certificate that gives only
    /// initials ("Иванова М.П." or "М.П. Иванова") matches the full name with those initials
    /// ("Иванова Мария Петровна").
    public static func namesMatch(certificateName: String, documentName: String) -> Bool {
        let certificate = NameParts(certificateName)
        let document = NameParts(documentName)
        guard !certificate.words.isEmpty, !document.words.isEmpty, document.initials.isEmpty else { return false }
        if certificate.initials.isEmpty { return certificate.words == document.words }
        // Initials: one surname, then one initial per remaining name of the document.
        guard certificate.words.count == 1, certificate.words[0] == document.words[0],
            certificate.initials.count == document.words.count - 1
        else { return false }
        return zip(certificate.initials, document.words.dropFirst()).allSatisfy { $0 == $1.first }
    }

    // MARK: Pieces shared with the letterhead check

    /// Why a certificate with these identifiers is not the letterhead agency's (empty when it is).
    /// A missing INNLE is no reason when the OGRN matches: the OGRN names the legal entity, and the
    /// qualified-certificate profile reports the missing INNLE on its own.
    static func organizationReasons(
        signerOGRN: String?, signerINN: String?, signerOrganization: String?, agencyName: String, expectedOGRN: String,
        expectedINN: String?, directory: AgencyDirectory?
    ) -> [Reason] {
        let remedy =
            "sign with the key of an official of \(agencyName), or put the document on the letterhead of the agency the key belongs to"
        guard let signerOGRN else {
            return [
                Reason(
                    code: .organizationMissing, expected: "OGRN \(expectedOGRN) (\(agencyName))", found: "no OGRN",
                    message: "the signer's certificate names no OGRN, so it cannot be matched to the letterhead of \(agencyName)",
                    remedy: "sign with a qualified certificate of an official of \(agencyName)")
            ]
        }
        if signerOGRN != expectedOGRN {
            let owner = directory?.agency(ogrn: signerOGRN)?.fullName ?? signerOrganization.map { "\"\($0)\"" } ?? "another organisation"
            return [
                Reason(
                    code: .organizationDiffers, expected: "OGRN \(expectedOGRN) (\(agencyName))", found: "OGRN \(signerOGRN) (\(owner))",
                    message:
                        "the document is on the letterhead of \(agencyName) (OGRN \(expectedOGRN)), but the signer's certificate belongs to OGRN \(signerOGRN), \(owner)",
                    remedy: remedy)
            ]
        }
        if let expectedINN, let signerINN, signerINN != expectedINN {
            return [
                Reason(
                    code: .innDiffers, expected: "INN \(expectedINN) (\(agencyName))", found: "INNLE \(signerINN)",
                    message:
                        "the signer's INNLE \(signerINN) is not the INN \(expectedINN) of \(agencyName), whose letterhead the document is on",
                    remedy: remedy)
            ]
        }
        return []
    }

    /// The owner's names a certificate gives: "SN G" first (FSB order 795), then CN when it differs.
    static func ownerNames(_ fields: CertificateFields) -> [String] {
        var names: [String] = []
        let surname = fields.subjectEntry(nid: NID_surname)
        let given = fields.subjectEntry(nid: NID_givenName)
        if let surname, let given, !surname.isEmpty, !given.isEmpty { names.append("\(surname) \(given)") }
        if let common = fields.subjectEntry(nid: NID_commonName), !common.isEmpty, !names.contains(common) { names.append(common) }
        return names
    }
}

/// A person's name split for comparison: words (lower case, ё as е) and initials ("М.П." → м, п).
private struct NameParts {
    var words: [String] = []
    var initials: [Character] = []

    init(_ name: String) {
        let normalized = name.lowercased().replacingOccurrences(of: "ё", with: "е")
        for token in normalized.split(whereSeparator: { $0.isWhitespace }) {
            // "м.п." holds two initials; "мария" is a word; "м." one initial.
            let pieces = token.split(separator: ".", omittingEmptySubsequences: true)
            if token.contains("."), pieces.allSatisfy({ $0.count == 1 }) {
                initials += pieces.compactMap(\.first)
            } else {
                words.append(String(token))
            }
        }
    }
}
