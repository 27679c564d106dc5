import Foundation
import MezhvedTestSupport
import MezhvedXMLDSig
import Testing

@testable import MezhvedArchive

@Suite("Personal data at rest")
struct PersonalDataTests {
    static let sample = ArchiveFixtures.path("Samples/request-unemployment-status.signed.xml")

    @Test("the stored form hides PersonalData and gives the original back byte for byte")
    func roundTrip() throws {
        let original = Tamper.read(Self.sample)
        let key = try ArchiveFixtures.dataKey()
        let (stored, encrypted) = try PersonalDataProtection.protect(original, key: key, sourceName: "sample")
        #expect(encrypted)
        let text = String(decoding: stored, as: UTF8.self)
        #expect(!text.contains("Васильев"))
        #expect(!text.contains("145-236-987 76"))
        #expect(text.contains(PersonalDataProtection.algorithm))
        #expect(text.contains("<ds:Signature"))
        let back = try PersonalDataProtection.reveal(stored, key: key, sourceName: "sample")
        #expect(back == original)
        // Everything outside PersonalData is untouched.
        let range = try #require(try PersonalDataProtection.personalDataRange(original, sourceName: "sample"))
        #expect(stored.prefix(range.lowerBound).elementsEqual(original.prefix(range.lowerBound)))
        #expect(stored.suffix(original.count - range.upperBound).elementsEqual(original.suffix(original.count - range.upperBound)))
    }

    @Test("another key, or an altered ciphertext, is refused and named")
    func wrongKey() throws {
        let original = Tamper.read(Self.sample)
        let key = try ArchiveFixtures.dataKey()
        let (stored, _) = try PersonalDataProtection.protect(original, key: key, sourceName: "sample")
        #expect {
            _ = try PersonalDataProtection.reveal(stored, key: try ArchiveDataKey.generate(), sourceName: "sample")
        } throws: { ($0 as? ArchiveError)?.code == .dataKeyUnusable }
        var altered = stored
        let at = PersonalDataProtection.occurrences(of: Array("<xenc:CipherValue>".utf8), in: stored)[0] + 30
        altered[at] = altered[at] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect {
            _ = try PersonalDataProtection.reveal(altered, key: key, sourceName: "sample")
        } throws: { ($0 as? ArchiveError)?.code == .integrityBroken && "\($0)".contains("GCM") }
    }

    @Test("a document without personal data is stored as it is")
    func noPersonalData() throws {
        let receipt = Tamper.read(ArchiveFixtures.path("Samples/receipt-accepted.signed.xml"))
        let (stored, encrypted) = try PersonalDataProtection.protect(receipt, key: try ArchiveFixtures.dataKey(), sourceName: "receipt")
        #expect(!encrypted)
        #expect(stored == receipt)
    }

    @Test("without the key the signature still checks at the signed-info level; with it, fully")
    func auditWithoutKey() throws {
        let original = Tamper.read(Self.sample)
        let (stored, _) = try PersonalDataProtection.protect(original, key: try ArchiveFixtures.dataKey(), sourceName: "sample")
        let checker = SignedInfoChecker(trustStore: try ArchiveFixtures.trust())
        let result = try checker.check(stored, sourceName: "stored", at: Date())
        #expect(result.status == .valid)
        #expect(result.references.first?.uri == "")
        // The full verifier sees the digest no longer matches the stored form: that needs the plaintext.
        let full = try SignatureVerifier(trustStore: try ArchiveFixtures.trust()).verify(stored, sourceName: "stored")
        #expect(full.status == .invalid)
        #expect(full.problems.contains { $0.check == .digest })
        // A forged SignatureValue is caught without the key.
        let text = String(decoding: stored, as: UTF8.self)
        let start = try #require(text.range(of: "<ds:SignatureValue>"))
        var forged = text
        let index = forged.index(start.upperBound, offsetBy: 5)
        forged.replaceSubrange(index...index, with: forged[index] == "A" ? "B" : "A")
        let bad = try checker.check(Array(forged.utf8), sourceName: "forged", at: Date())
        #expect(bad.status == .invalid)
        #expect(bad.problems.contains { $0.check == .signatureValue })
    }

    @Test("xmlsec1 decrypts the EncryptedData with the raw AES key and yields the PersonalData element")
    func xmlsecInterop() async throws {
        let xmlsec = try #require(ArchiveTool.locate("xmlsec1"), "xmlsec1 is not installed: run scripts/setup.sh")
        let folder = try ArchiveFixtures.temporaryDirectory()
        let original = Tamper.read(Self.sample)
        let key = try ArchiveFixtures.dataKey()
        let (stored, _) = try PersonalDataProtection.protect(original, key: key, sourceName: "sample")
        Tamper.write(stored, folder + "/stored.xml")
        let keyPath = try ArchiveFixtures.writeKey(in: folder)
        let result = try await ArchiveTool.run(xmlsec, ["--decrypt", "--aeskey:\(key.keyID)", keyPath, folder + "/stored.xml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("<LastName>Васильев</LastName>"))
        #expect(result.stdout.contains("<SNILS>145-236-987 76</SNILS>"))
        #expect(!result.stdout.contains("EncryptedData"))
    }

    @Test("personal data the byte-exact encryption cannot delimit is refused, not stored in clear")
    func prefixedPersonalDataRefused() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 100)
        let template = String(decoding: Tamper.read(ArchiveFixtures.unsignedRequest), as: UTF8.self)
        let prefixed = template.replacingOccurrences(of: "<PersonalData>", with: "<m:PersonalData xmlns:m=\"urn:mezhved:interagency:1.0\">")
            .replacingOccurrences(of: "</PersonalData>", with: "</m:PersonalData>")
        let signed = try ArchiveFixtures.signer().sign(Array(prefixed.utf8), sourceName: "prefixed")
        await #expect {
            _ = try await archive.register(
                Submission(direction: .incoming, document: signed, sourceName: "prefixed.xml", signatureStatus: .valid))
        } throws: { error in
            (error as? ArchiveError)?.code == .documentRefused && "\(error)".contains("prefixed.xml")
        }
        #expect(try await archive.journal().entries.isEmpty)
    }
}
