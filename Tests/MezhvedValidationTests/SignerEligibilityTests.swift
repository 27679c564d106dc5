import Foundation
import MezhvedDocuments
import MezhvedValidation
import MezhvedXMLDSig
import Testing

@Suite("Signer eligibility: the letterhead agency's key, the named signatory's certificate")
struct SignerEligibilityTests {
    static let directory = try! AgencyDirectory.bundled()

    static func certificate(_ relative: String) throws -> Certificate {
        try Certificate.load(contentsOf: Repository.path(relative))[0]
    }

    static func sender(_ id: String) -> AgencyReference {
        let agency = directory.agency(id: id)!
        return AgencyReference(agency: id, name: agency.fullName, ogrn: agency.ogrn, inn: agency.inn)
    }

    static let ivanova = OfficialPerson(fullName: "Иванова Мария Петровна", position: "Начальник отдела")

    @Test("the social-protection official signs a social-protection document that names her: eligible")
    func rightSigner() throws {
        let check = SignerEligibility(
            signer: try Self.certificate("Certificates/agencies/social-protection/cert.pem"), sender: Self.sender("social-protection"),
            signatory: Self.ivanova, directory: Self.directory)
        #expect(check.isEligible, "\(check.reasons)")
        #expect(check.signerName == "Иванова Мария Петровна")
        #expect(check.signerOrganization == "Комитет по социальной защите населения Ленинградской области")
        // Case, ё/е and extra spaces do not matter.
        let loose = SignerEligibility(
            signer: try Self.certificate("Certificates/agencies/social-protection/cert.pem"), sender: Self.sender("social-protection"),
            signatory: OfficialPerson(fullName: "  ИВАНОВА  мария   петровна ", position: "Начальник отдела"), directory: Self.directory)
        #expect(loose.isEligible, "\(loose.reasons)")
    }

    @Test("another agency's key is refused: the organisation and the person, each with expected and found")
    func anotherAgency() throws {
        let check = SignerEligibility(
            signer: try Self.certificate("Certificates/agencies/health/cert.pem"), sender: Self.sender("social-protection"),
            signatory: Self.ivanova, directory: Self.directory)
        #expect(!check.isEligible)
        #expect(check.reasons.map(\.code) == [.organizationDiffers, .signatoryDiffers])
        let organization = try #require(check.reasons.first)
        #expect(organization.expected == "OGRN 1074709990013 (Комитет по социальной защите населения Ленинградской области)")
        #expect(organization.found == "OGRN 1074709990024 (Комитет по здравоохранению Ленинградской области)")
        #expect(organization.message.contains("belongs to OGRN 1074709990024, Комитет по здравоохранению Ленинградской области"))
        #expect(organization.remedy.hasPrefix("sign with the key of an official of Комитет по социальной защите населения"))
        let person = check.reasons[1]
        #expect(person.expected == "Иванова Мария Петровна")
        #expect(person.found == "Смирнов Алексей Викторович")
        #expect(person.remedy.contains("sign with Иванова Мария Петровна's own key"))
    }

    @Test("the right agency but another person is refused: only the signatory")
    func anotherPerson() throws {
        // negative/expired is Петров И.Н. of the social protection committee (validity is not this check's concern).
        let check = SignerEligibility(
            signer: try Self.certificate("Certificates/negative/expired/cert.pem"), sender: Self.sender("social-protection"),
            signatory: Self.ivanova, directory: Self.directory)
        #expect(check.reasons.map(\.code) == [.signatoryDiffers], "\(check.reasons)")
        #expect(check.reasons.first?.found == "Петров Игорь Николаевич")
        #expect(
            check.reasons.first?.message
                == "the document names Иванова Мария Петровна as its signatory, but the certificate belongs to Петров Игорь Николаевич")
    }

    @Test("a certificate without OGRN, and a sender the directory does not know")
    func unknowns() throws {
        let rsa = try Self.certificate("Certificates/rsa/signer.pem")
        let check = SignerEligibility(
            signer: rsa, sender: Self.sender("social-protection"), signatory: Self.ivanova, directory: Self.directory)
        #expect(check.reasons.map(\.code) == [.organizationMissing, .signatoryDiffers], "\(check.reasons)")
        var nobody = Self.sender("social-protection")
        nobody.agency = "nobody"
        let unknown = SignerEligibility(
            signer: try Self.certificate("Certificates/agencies/social-protection/cert.pem"), sender: nobody, signatory: Self.ivanova,
            directory: Self.directory)
        #expect(unknown.reasons.map(\.code) == [.agencyUnknown])
    }

    @Test("a receipt names no signatory: only the organisation is checked")
    func receipt() throws {
        let check = SignerEligibility(
            signer: try Self.certificate("Certificates/agencies/employment/cert.pem"), sender: Self.sender("employment"), signatory: nil,
            directory: Self.directory)
        #expect(check.isEligible)
        #expect(check.signatory == nil)
    }

    @Test("a certificate that gives the owner only as initials in CN matches the full name with those initials")
    func initialsCertificate() throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("key.pem").path
        let cert = folder.appendingPathComponent("cert.pem").path
        // A throw-away certificate with the social-protection committee's OGRN and INNLE and CN "Иванова М.П.".
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
            "-days", "1", "-utf8", "-subj",
            "/O=Комитет по социальной защите населения Ленинградской области/CN=Иванова М.П./1.2.643.100.1=1074709990013/1.2.643.100.4=4703999016",
        ]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let certificate = try Certificate.load(contentsOf: cert)[0]
        let check = SignerEligibility(
            signer: certificate, sender: Self.sender("social-protection"), signatory: Self.ivanova, directory: Self.directory)
        #expect(check.isEligible, "\(check.reasons)")
        #expect(check.signerName == "Иванова М.П.")
        let other = SignerEligibility(
            signer: certificate, sender: Self.sender("social-protection"),
            signatory: OfficialPerson(fullName: "Иванова Марина Андреевна", position: "Начальник отдела"), directory: Self.directory)
        #expect(other.reasons.map(\.code) == [.signatoryDiffers])
    }

    @Test(
        "names: case, ё/е, spaces and initials",
        arguments: [
            ("Иванова Мария Петровна", "Иванова Мария Петровна", true),
            ("иванова  МАРИЯ петровна", " Иванова Мария Петровна ", true),
            ("Семёнов Пётр Алексеевич", "Семенов Петр Алексеевич", true),
            ("Иванова М.П.", "Иванова Мария Петровна", true),
            ("Иванова М. П.", "Иванова Мария Петровна", true),
            ("М.П. Иванова", "Иванова Мария Петровна", true),
            ("Иванова М.А.", "Иванова Мария Петровна", false),
            ("Иванова М.", "Иванова Мария Петровна", false),
            ("Петрова М.П.", "Иванова Мария Петровна", false),
            ("Иванова Мария Петровна", "Иванова М.П.", false),
            ("Иванова Мария", "Иванова Мария Петровна", false),
            ("", "Иванова Мария Петровна", false),
        ])
    func names(certificate: String, document: String, match: Bool) {
        #expect(SignerEligibility.namesMatch(certificateName: certificate, documentName: document) == match)
    }

    @Test(
        "every agency's test key may sign what the agency composes with its default signatory",
        arguments: (try? AgencyDirectory.bundled().agencies.map(\.id)) ?? [])
    func everyAgency(id: String) throws {
        let agency = try #require(Self.directory.agency(id: id))
        let head = try #require(agency.headOfficial)
        let check = SignerEligibility(
            signer: try Self.certificate(try #require(agency.certificate)), sender: Self.sender(id),
            signatory: OfficialPerson(fullName: head.name, position: head.position), directory: Self.directory)
        #expect(check.isEligible, "\(check.reasons)")
    }

    @Test("a composed request names the sender's head official, whose certificate's signature mark then agrees with it")
    func composedDefaultSignatory() throws {
        let context = try DocumentContext.bundled()
        var draft = try DocumentComposer(context: context).requestDraft(
            form: [UInt8](try Data(contentsOf: URL(fileURLWithPath: Repository.path("Samples/forms/request-unemployment-status.yaml")))),
            source: "request-unemployment-status.yaml")
        draft.signatory = nil
        let request = try DocumentComposer(context: context).request(draft, registration: try #require(draft.registration))
        let check = SignerEligibility(
            signer: try Self.certificate("Certificates/agencies/social-protection/cert.pem"), document: .request(request),
            directory: context.directory)
        #expect(check.isEligible, "\(check.reasons)")
        #expect(check.signerName == request.signatory.fullName)
        let other = SignerEligibility(
            signer: try Self.certificate("Certificates/agencies/cszn/cert.pem"), document: .request(request),
            directory: context.directory)
        #expect(other.reasons.map(\.code) == [.organizationDiffers, .signatoryDiffers])
    }
}
