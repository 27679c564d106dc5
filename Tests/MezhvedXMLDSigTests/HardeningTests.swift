import Foundation
import MezhvedCore
import Testing

@testable import MezhvedXMLDSig

/// Hostile input found when the verifier was tried as an attacker would (issue 14): text that reads
/// differently from what was signed, counts beyond secure-validation limits, strings too long to
/// echo, and the `--expect-reference=` spelling. Real documents through the real verifier and the
/// real `mezhved` binary.
@Suite("Refusals: hardening against hostile input")
struct HardeningTests {
    let dir: URL

    init() throws {
        dir = try Fixtures.temporaryDirectory()
    }

    /// Writes `text` to a file of the test's folder and runs `mezhved verify` on it with `extra`.
    func verifyWithBinary(_ text: String, _ signer: Fixtures.Signer = Fixtures.gostSocial, extra: [String] = []) async throws
        -> ProcessResult
    {
        let path = dir.appendingPathComponent("suspect-\(UUID().uuidString).xml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try await Tool.run(Tool.mezhved, ["verify", path, "--trust", signer.trust] + extra)
    }

    /// The line of the first occurrence of `needle` in `text` (1-based).
    static func line(of needle: String, in text: String) -> Int {
        guard let range = text.range(of: needle) else { return 0 }
        return text[..<range.lowerBound].filter { $0 == "\n" }.count + 1
    }

    // MARK: - Signed text that reads differently

    @Test("an empty CDATA section splitting signed text is refused like a spliced comment, on both paths and by the binary")
    func emptyCDATASplice() async throws {
        // The digest still matches: canonical XML drops the empty section.
        let text = try NegativeTests.signed().replacingOccurrences(of: "Петров Пётр", with: "Петров<![CDATA[]]> Пётр")
        let line = Self.line(of: "<![CDATA[]]>", in: text)
        let verifier = try Fixtures.verifier(Fixtures.gostSocial)
        #expect(verifier.verifyStreaming(Fixtures.bytes(text), sourceName: "suspect.xml") == nil)
        let report = try NegativeTests.verify(text)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.commentInjection])
        #expect(report.problems[0].message.contains("empty CDATA section"))
        #expect(report.problems[0].message.contains("at line \(line)"))
        #expect(report.references.allSatisfy { $0.digestMatches }, "the splice must not change the digest, or the test proves nothing")

        let result = try await verifyWithBinary(text)
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.hasPrefix("INVALID"))
        #expect(result.stdout.contains("empty CDATA section splits the signed text"))
    }

    @Test("CDATA that carries the signed text, and an empty CDATA between elements, are accepted")
    func harmlessCDATA() throws {
        let signed = try NegativeTests.signed()
        let carried = signed.replacingOccurrences(of: "Петров Пётр", with: "Петров<![CDATA[ Пётр]]>")
        #expect(try NegativeTests.verify(carried).status == .valid)
        let between = signed.replacingOccurrences(of: "<req:Need>", with: "<![CDATA[]]><req:Need>")
        #expect(try NegativeTests.verify(between).status == .valid)
        // The stream canonicalizes CDATA with text exactly as the tree does.
        let verifier = try Fixtures.verifier(Fixtures.gostSocial)
        #expect(verifier.verifyStreaming(Fixtures.bytes(carried), sourceName: "x")?.status == .valid)
    }

    @Test("an empty CDATA section is refused also where the reference signs comments (#xpointer(id(...)))")
    func emptyCDATAWithComments() throws {
        let signed = try NegativeTests.signed(options: SigningOptions(referenceID: "body"))
        let pointer = signed.replacingOccurrences(of: "URI=\"#body\"", with: "URI=\"#xpointer(id('body'))\"")
        let text = pointer.replacingOccurrences(of: "Петров Пётр", with: "Петров<![CDATA[]]> Пётр")
        let report = try NegativeTests.verify(text)
        #expect(report.status == .invalid)
        #expect(report.problems.contains { $0.check == .commentInjection && $0.message.contains("empty CDATA section") })
    }

    @Test(
        "a namespace prefix used without a declaration is refused, on both paths and by the binary",
        arguments: [
            ("<req:Need>", "<req:Need><x:Note>1</x:Note>"),  // an element
            ("<req:Need>", "<req:Need x:flag=\"1\">"),  // an attribute
        ])
    func undeclaredPrefix(anchor: String, replacement: String) async throws {
        // Signed that way (mezhved signs what it is given), so only the new check can refuse it.
        let document = Fixtures.request.replacingOccurrences(of: anchor, with: replacement)
        let text = Fixtures.string(
            try Fixtures.xmlSigner(Fixtures.gostSocial).sign(Fixtures.bytes(document), sourceName: "request.xml", options: SigningOptions())
        )
        let line = Self.line(of: replacement, in: text)
        let verifier = try Fixtures.verifier(Fixtures.gostSocial)
        #expect(verifier.verifyStreaming(Fixtures.bytes(text), sourceName: "suspect.xml") == nil)
        let report = try NegativeTests.verify(text)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.structure])
        #expect(report.problems[0].message.contains("namespace prefix without declaring it at line \(line)"))
        #expect(report.problems[0].message.contains("Namespace prefix x"))

        let result = try await verifyWithBinary(text)
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("uses a namespace prefix without declaring it at line \(line)"))
    }

    // MARK: - Limits

    static let excC14N = "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"

    /// The signed document with `count` transforms on its reference (extra exclusive C14N ones).
    static func withTransforms(_ count: Int) throws -> String {
        let signed = try NegativeTests.signed()
        let current = signed.components(separatedBy: "<ds:Transform ").count - 1
        let extra = String(repeating: excC14N, count: count - current)
        return signed.replacingOccurrences(of: "</ds:Transforms>", with: extra + "</ds:Transforms>")
    }

    @Test("more than 5 transforms on one reference are refused with the count and the cap; 5 pass that check", arguments: [6, 50])
    func transformCap(count: Int) async throws {
        let report = try NegativeTests.verify(try Self.withTransforms(count))
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.algorithm])
        #expect(report.problems[0].message.contains("lists \(count) transforms; at most 5 are allowed"))
        let result = try await verifyWithBinary(try Self.withTransforms(count))
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("lists \(count) transforms; at most 5 are allowed"))
    }

    @Test("exactly 5 transforms are within the cap")
    func transformsAtCap() throws {
        let report = try NegativeTests.verify(try Self.withTransforms(5))
        #expect(!report.problems.contains { $0.message.contains("transforms; at most") })
        #expect(report.references.count == 1)
    }

    /// The signed document with its reference repeated to `count` references.
    static func withReferences(_ count: Int) throws -> String {
        let signed = try NegativeTests.signed()
        let reference = NegativeTests.replacing(".*(<ds:Reference .*</ds:Reference>).*", in: signed, with: "$1")
        return signed.replacingOccurrences(
            of: "</ds:Reference>", with: "</ds:Reference>" + String(repeating: reference, count: count - 1))
    }

    @Test("more than 30 references in one signature are refused with the count and the cap, before any is read")
    func referenceCap() async throws {
        let report = try NegativeTests.verify(try Self.withReferences(31))
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.reference])
        #expect(report.problems[0].message.contains("holds 31 references; at most 30 are allowed"))
        // 30 pass the cap and meet the policy's pinned count instead.
        let atCap = try NegativeTests.verify(try Self.withReferences(30))
        #expect(atCap.problems.map(\.message) == ["the signature has 30 references; the policy expects exactly 1"])
        let result = try await verifyWithBinary(try Self.withReferences(1000))
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("holds 1000 references; at most 30 are allowed"))
    }

    // MARK: - Attacker-supplied strings are cut

    @Test("DocumentText.cut keeps short strings whole and cuts long ones to 200 characters with the whole length")
    func cutHelper() {
        let exact = String(repeating: "я", count: 200)
        #expect(DocumentText.cut(exact) == exact)  // 400 UTF-8 bytes, 200 characters: whole
        let long = String(repeating: "я", count: 201)
        #expect(DocumentText.cut(long) == String(repeating: "я", count: 200) + "… (201 characters)")
        #expect(DocumentText.cut("") == "")
    }

    static let huge = "urn:x:" + String(repeating: "a", count: 1 << 20)
    static let hugeCut = "… (\((1 << 20) + 6) characters)"

    /// Signed documents with one document-supplied string made 1 MB long, and where it shows.
    static func hostileStrings() throws -> [(String, String)] {
        let signed = try NegativeTests.signed()
        return [
            (
                "SignatureMethod Algorithm",
                NegativeTests.replacing(
                    "<ds:SignatureMethod Algorithm=\"[^\"]+\"", in: signed, with: "<ds:SignatureMethod Algorithm=\"\(huge)\"")
            ),
            (
                "CanonicalizationMethod Algorithm",
                NegativeTests.replacing(
                    "<ds:CanonicalizationMethod Algorithm=\"[^\"]+\"", in: signed, with: "<ds:CanonicalizationMethod Algorithm=\"\(huge)\"")
            ),
            (
                "Transform Algorithm",
                signed.replacingOccurrences(of: "http://www.w3.org/2000/09/xmldsig#enveloped-signature", with: huge)
            ),
            (
                "DigestMethod Algorithm",
                NegativeTests.replacing("<ds:DigestMethod Algorithm=\"[^\"]+\"", in: signed, with: "<ds:DigestMethod Algorithm=\"\(huge)\"")
            ),
            ("Reference URI", signed.replacingOccurrences(of: "URI=\"\"", with: "URI=\"#\(huge)\"")),
            (
                "element name",
                signed.replacingOccurrences(
                    of: "</ds:SignedInfo>", with: "<ds:\(String(repeating: "n", count: 20_000))/></ds:SignedInfo>")
            ),
        ]
    }

    @Test("a 1 MB Algorithm URI, reference URI or a 20,000-character element name is cut in problems and reports")
    func longStringsAreCut() throws {
        for (name, text) in try Self.hostileStrings() {
            let report = try NegativeTests.verify(text)
            #expect(report.status == .invalid, "\(name)")
            #expect(!report.problems.isEmpty, "\(name)")
            for problem in report.problems {
                #expect(problem.message.count < 1000, "\(name): \(problem.message.count) characters")
                #expect(problem.message.contains("characters)"), "\(name): \(problem.message.prefix(300))")
            }
            let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
            #expect(json.utf8.count < 10_000, "\(name): the JSON report is \(json.utf8.count) bytes")
        }
        let uri = try #require(Self.hostileStrings().first { $0.0 == "SignatureMethod Algorithm" }?.1)
        let message = try NegativeTests.verify(uri).problems[0].message
        #expect(message.contains("signature method \"urn:x:aaaa"))
        #expect(message.contains(Self.hugeCut))
    }

    @Test("the binary's text, JSON and qualified reports echo no hostile string whole")
    func longStringsCutByBinary() async throws {
        for (name, text) in try Self.hostileStrings() {
            for extra in [[], ["--json"], ["--report", "json", "--offline"]] {
                let result = try await verifyWithBinary(text, extra: extra)
                #expect(result.status != 0, "\(name) \(extra)")
                #expect(result.stdout.utf8.count + result.stderr.utf8.count < 20_000, "\(name) \(extra): \(result.stdout.utf8.count) bytes")
                #expect(
                    result.stdout.contains("characters)"), "\(name) \(extra): \(result.stdout.prefix(500)) \(result.stderr.prefix(500))")
            }
        }
    }

    // MARK: - The command line

    /// Signs the fixture request with the real binary (`extra`: more `sign` options).
    func signWithBinary(_ signer: Fixtures.Signer, extra: [String] = []) async throws -> String {
        let input = dir.appendingPathComponent("request.xml").path
        try Data(Fixtures.request.utf8).write(to: URL(fileURLWithPath: input))
        let out = dir.appendingPathComponent("signed-\(UUID().uuidString).xml").path
        var args = ["sign", input, "--key", signer.key, "--cert", signer.cert, "-o", out] + extra
        if let chain = signer.chain { args += ["--chain", chain] }
        let result = try await Tool.run(Tool.mezhved, args)
        #expect(result.status == 0, "\(result.stderr)")
        return out
    }

    @Test("--expect-reference= (attached, empty) means the whole document, as --expect-reference \"\" does")
    func expectReferenceAttachedEmpty() async throws {
        let signer = Fixtures.gostSocial
        let whole = try await signWithBinary(signer)
        for form in [["--expect-reference="], ["--expect-reference", ""]] {
            let result = try await Tool.run(Tool.mezhved, ["verify", whole, "--trust", signer.trust] + form)
            #expect(result.status == 0, "\(form): \(result.stdout) \(result.stderr)")
            #expect(result.stdout.hasPrefix("VALID"), "\(form)")
        }
        // The empty value reaches the policy: a signature over #body is not the whole document.
        let body = try await signWithBinary(signer, extra: ["--reference-id", "body"])
        let refused = try await Tool.run(Tool.mezhved, ["verify", body, "--trust", signer.trust, "--expect-reference="])
        #expect(refused.status == 1, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stdout.contains("the signature references \"#body\"; the policy expects \"\""))
        // Repeated, it counts like any value; after "--" it is a file name, not an option.
        let twice = try await Tool.run(
            Tool.mezhved, ["verify", whole, "--trust", signer.trust, "--expect-reference=", "--expect-reference="])
        #expect(twice.status == 64)
        #expect(twice.stderr.contains("--expect-reference is given 2 times but --references is 1"))
        let asFile = try await Tool.run(Tool.mezhved, ["verify", "--trust", signer.trust, "--", "--expect-reference="])
        #expect(asFile.status == 3, "\(asFile.stdout) \(asFile.stderr)")
        #expect(asFile.stderr.contains("--expect-reference="))
    }
}
