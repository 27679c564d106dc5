import Foundation
import MezhvedDocuments
import MezhvedXMLDSig
import Testing

/// The sample documents in Samples/ (made by Samples/make-samples.sh from Samples/forms/).
enum SampleFixtures {
    static let folder = DocumentFixtures.path("Samples")
    static let forms = DocumentFixtures.path("Samples/forms")

    /// The names of the signed samples, `Samples/<name>.signed.xml`, sorted.
    static let signed: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.filter { $0.hasSuffix(".signed.xml") }.map { String($0.dropLast(".signed.xml".count)) }.sorted()
    }()

    /// The names of the form files, `Samples/forms/<name>.yaml`, sorted.
    static let formNames: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: forms)) ?? []
        return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }.map { ($0 as NSString).deletingPathExtension }.sorted()
    }()

    static func signedPath(_ name: String) -> String { "\(folder)/\(name).signed.xml" }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// A sample read into the model; it must be valid.
    static func document(_ name: String) throws -> InteragencyDocument {
        try DocumentFixtures.validator.read(try bytes(signedPath(name)), sourceName: "\(name).signed.xml")
    }

    /// The signed request samples, by registration.
    static func requests() throws -> [InteragencyRequest] {
        try signed.compactMap { name in
            if case .request(let r) = try document(name) { return r }
            return nil
        }
    }

    /// The request sample an answer replies to.
    static func request(answeredBy answer: InteragencyAnswer) throws -> InteragencyRequest? {
        try requests().first { $0.registration == answer.inReplyTo }
    }

    static let verifier: SignatureVerifier = {
        let trust = try! TrustStore(
            directories: [DocumentFixtures.path("Certificates/trust/gost")],
            crlFiles: [DocumentFixtures.path("Certificates/gost/ca.crl.pem")])
        return SignatureVerifier(trustStore: trust)
    }()
}

@Suite("Sample documents (Samples/)")
struct SampleDocumentTests {
    @Test("there are samples to test: at least seven signed documents, requests, answers and receipts, and their forms")
    func samplesExist() throws {
        #expect(SampleFixtures.signed.count >= 7, "\(SampleFixtures.signed)")
        let kinds = Set(try SampleFixtures.signed.map { try SampleFixtures.document($0).kind })
        #expect(kinds == Set(DocumentKind.allCases))
        #expect(SampleFixtures.formNames.count >= 5, "\(SampleFixtures.formNames)")
        // Every form has its signed sample (receipts have no form: their options are in the script).
        for form in SampleFixtures.formNames {
            #expect(SampleFixtures.signed.contains(form), "Samples/forms/\(form).yaml has no Samples/\(form).signed.xml")
        }
    }

    @Test("the sample matches its schema (xmllint --schema)", arguments: SampleFixtures.signed)
    func xmllintSchema(name: String) throws {
        let path = SampleFixtures.signedPath(name)
        let kind = try SampleFixtures.document(name).kind
        let schema = DocumentFixtures.path("Sources/MezhvedDocuments/Resources/schemas/mezhved-\(kind.rawValue)-1.0.xsd")
        let result = try run("xmllint", ["--noout", "--schema", schema, path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("validates"))
    }

    @Test("the sample is valid: schema and the rules of the regulations (DocumentValidator)", arguments: SampleFixtures.signed)
    func documentValidator(name: String) throws {
        let report = try DocumentFixtures.validator.validate(
            try SampleFixtures.bytes(SampleFixtures.signedPath(name)), sourceName: "\(name).signed.xml")
        #expect(report.isValid, "\(report.problems)")
        #expect(report.isSigned)
        #expect(report.parsed != nil)
    }

    @Test(
        "the signature is valid against the TEST GOST root with the CA's CRL, covers the whole document, and is the sender's",
        arguments: SampleFixtures.signed)
    func signature(name: String) throws {
        let report = try SampleFixtures.verifier.verify(contentsOf: SampleFixtures.signedPath(name))
        #expect(report.status == .valid, "\(report.problems)")
        #expect(report.references.map(\.covers) == ["whole document"])
        let signer = try #require(report.signer)
        // The certificate is the sending agency's, and its owner is the person in the signature block.
        let sender: AgencyReference
        var signatory: OfficialPerson?
        switch try SampleFixtures.document(name) {
        case .request(let r): (sender, signatory) = (r.sender, r.signatory)
        case .answer(let a): (sender, signatory) = (a.sender, a.signatory)
        case .receipt(let r): sender = r.sender
        case .note(let n): (sender, signatory) = (n.sender, n.signatory)
        }
        #expect(signer.organization == sender.name)
        if let signatory {
            #expect(signer.commonName == signatory.fullName)
            #expect(signer.subject.contains("title=\(signatory.position),"), "\(signer.subject)")
        }
    }

    @Test("every answer is valid against the request it answers, and that request is a sample")
    func answersMatchTheirRequests() throws {
        var answers = 0
        for name in SampleFixtures.signed {
            guard case .answer(let answer) = try SampleFixtures.document(name) else { continue }
            answers += 1
            let request = try #require(try SampleFixtures.request(answeredBy: answer), "no request sample for \(name)")
            let report = try DocumentFixtures.validator.validate(
                try SampleFixtures.bytes(SampleFixtures.signedPath(name)), sourceName: "\(name).signed.xml", request: request)
            #expect(report.isValid, "\(name): \(report.problems)")
        }
        #expect(answers >= 2)
    }

    @Test("every form composes without problems, into the document of its sample", arguments: SampleFixtures.formNames)
    func formComposes(name: String) throws {
        let formPath = try #require(
            ["yaml", "json"].map { "\(SampleFixtures.forms)/\(name).\($0)" }.first { FileManager.default.fileExists(atPath: $0) })
        let form = try SampleFixtures.bytes(formPath)
        let composer = DocumentFixtures.composer
        switch try SampleFixtures.document(name) {
        case .request(let signed):
            let composed = try composer.request(form: form, source: "\(name).yaml")
            #expect(composed == signed, "Samples/\(name).signed.xml is not what the form gives: run Samples/make-samples.sh")
        case .answer(let signed):
            let request = try #require(try SampleFixtures.request(answeredBy: signed))
            let composed = try composer.answer(to: request, form: form, source: "\(name).yaml", baseDirectory: SampleFixtures.forms)
            #expect(composed == signed, "Samples/\(name).signed.xml is not what the form gives: run Samples/make-samples.sh")
        case .receipt, .note:
            Issue.record("receipts and notes have no form file: \(name)")
        }
    }

    @Test("the unsigned request for scripts/demo.sh is the signed sample without its signature")
    func unsignedDemoRequest() throws {
        let bytes = try SampleFixtures.bytes("\(SampleFixtures.folder)/request-unemployment-status.xml")
        let report = try DocumentFixtures.validator.validate(bytes, sourceName: "request-unemployment-status.xml")
        #expect(report.isValid, "\(report.problems)")
        #expect(!report.isSigned)
        #expect(report.parsed == (try SampleFixtures.document("request-unemployment-status")))
        // scripts/demo.sh tampers with this last name, and docs/cli.md signs the element with Id "request".
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("<LastName>Васильев</LastName>"))
        #expect(text.contains("Id=\"request\""))
    }
}
