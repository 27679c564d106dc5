import Foundation
import MezhvedDocuments
import MezhvedValidation
import MezhvedXMLDSig
import Testing

@Suite("Russian qualified-certificate profile (FSB order 795)")
struct QualifiedCertificateTests {
    static func certificate(_ relative: String) throws -> Certificate {
        try Certificate.load(contentsOf: Repository.path(relative))[0]
    }

    @Test(
        "every agency signer of the test PKI carries every required item",
        arguments: (try? AgencyDirectory.bundled().agencies.map(\.id)) ?? [])
    func agencySigners(agency: String) throws {
        let profile = QualifiedCertificateProfile(try Self.certificate("Certificates/agencies/\(agency)/cert.pem"))
        #expect(profile.isComplete, "missing: \(profile.missing.map(\.id))")
        #expect(
            profile.items.map(\.id) == [
                "ogrn", "innle", "organization", "signer-name", "signer-position", "snils", "subject-sign-tool", "issuer-sign-tool",
                "class-policy", "gost-key", "key-usage",
            ])
        #expect(profile.ogrn?.count == 13)
        #expect(profile.innle?.count == 10)
        #expect(profile.classes == ["KC1", "KC2"])
    }

    @Test("the social-protection signer's identity is read exactly")
    func socialProtectionIdentity() throws {
        let profile = QualifiedCertificateProfile(try Self.certificate("Certificates/agencies/social-protection/cert.pem"))
        #expect(profile.ogrn == "1074709990013")
        #expect(profile.innle == "4703999016")
        #expect(profile.organization == "Комитет по социальной защите населения Ленинградской области")
        #expect(profile.signerName == "Иванова Мария Петровна")
        #expect(profile.signerPosition == "Начальник отдела")
        let issuerTool = profile.items.first { $0.id == "issuer-sign-tool" }
        #expect(issuerTool?.detail.hasPrefix("TEST СКЗИ mezhved") == true)
    }

    @Test("SNILS is checked but its value never appears in the profile")
    func snilsNotDisclosed() throws {
        let profile = QualifiedCertificateProfile(try Self.certificate("Certificates/agencies/social-protection/cert.pem"))
        let encoded = String(decoding: try JSONEncoder().encode(profile), as: UTF8.self)
        #expect(!encoded.contains("11223344595"))
        #expect(profile.items.first { $0.id == "snils" }?.present == true)
    }

    @Test("an RSA certificate is named not qualified, item by item")
    func rsaSigner() throws {
        let profile = QualifiedCertificateProfile(try Self.certificate("Certificates/rsa/signer.pem"))
        let missing = Set(profile.missing.map(\.id))
        #expect(!profile.isComplete)
        for id in ["ogrn", "innle", "snils", "subject-sign-tool", "issuer-sign-tool", "class-policy", "gost-key"] {
            #expect(missing.contains(id), "\(id) should be reported missing")
        }
        #expect(profile.items.first { $0.id == "gost-key" }?.detail.contains("1.2.840.113549.1.1.1") == true)
    }

    @Test("the accredited CA's own certificate is not an official's: no SNILS, no name, no title")
    func caCertificate() throws {
        let profile = QualifiedCertificateProfile(try Self.certificate("Certificates/gost/ca.pem"))
        let missing = Set(profile.missing.map(\.id))
        #expect(missing.isSuperset(of: ["snils", "signer-name", "signer-position"]))
        #expect(!missing.contains("issuer-sign-tool"))
        #expect(!missing.contains("gost-key"))
    }
}
