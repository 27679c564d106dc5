import CMezhvedShims
import Foundation
import Testing

@testable import MezhvedXMLDSig

/// Verification without the document's tree (`verifyStreaming`) may only ever say "valid" when the
/// tree path says "valid" with the same report; everything else it leaves to the tree path, which
/// judges and explains. These tests hold it to that on every shape mezhved signs, on signatures
/// whose namespaces come from their ancestors, on the documents the stream must leave to the
/// tree, and on thousands of random mutations of signed documents.
@Suite("Streaming verification against the tree path")
struct StreamingVerifyTests {
    /// One validation time for both paths, so that their reports compare.
    static let time = Date()

    static func verifier(_ signer: Fixtures.Signer = Fixtures.gostSocial, retain: Bool = true) throws -> SignatureVerifier {
        try Fixtures.verifier(signer, policy: VerificationPolicy(validationTime: time, retainSignedContent: retain))
    }

    static func json(_ report: VerificationReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// Checks the one property that makes the streaming path safe, and returns whether it was taken.
    @discardableResult
    static func agree(_ bytes: [UInt8], _ verifier: SignatureVerifier, context: String) throws -> Bool {
        let tree = Result { try verifier.verifyTree(bytes, sourceName: "suspect.xml") }
        guard let streamed = verifier.verifyStreaming(bytes, sourceName: "suspect.xml") else { return false }
        guard case .success(let report) = tree else {
            Issue.record("\(context): the streaming path said valid, the tree path threw \(tree)")
            return true
        }
        #expect(report.status == .valid, "\(context): the streaming path said valid, the tree path \(report.problems)")
        #expect(try json(streamed) == json(report), "\(context): the two reports differ")
        return true
    }

    static func sign(_ signer: Fixtures.Signer, _ options: SigningOptions = SigningOptions(), _ document: [UInt8] = Fixtures.requestBytes)
        throws -> String
    {
        Fixtures.string(try Fixtures.xmlSigner(signer).sign(document, sourceName: "request.xml", options: options))
    }

    @Test("every shape mezhved signs: the whole-document ones stream, the others go to the tree, the reports agree")
    func shapes() throws {
        let streamed: [(Fixtures.Signer, SigningOptions)] = [
            (Fixtures.gostSocial, SigningOptions()), (Fixtures.gostHealth512, SigningOptions()),
            (Fixtures.rsa, SigningOptions()), (Fixtures.ecdsa, SigningOptions()),
            (Fixtures.gostSocial, SigningOptions(canonicalization: .exclusiveWithComments)),
            (Fixtures.gostSocial, SigningOptions(xades: .bes, signingTime: Self.time)),
            (Fixtures.rsa, SigningOptions(xades: .bes, signingTime: Self.time)),
        ]
        for (index, (signer, options)) in streamed.enumerated() {
            let signed = Fixtures.bytes(try Self.sign(signer, options))
            #expect(try Self.agree(signed, try Self.verifier(signer), context: "shape \(index)"), "shape \(index) did not stream")
            #expect(try Self.verifier(signer).verify(signed, sourceName: "x").status == .valid)
        }
        let tree: [(String, SigningOptions)] = [
            ("by Id", SigningOptions(referenceID: "body")), ("SMEV", SigningOptions(smevTransform: true)),
            ("inclusive C14N", SigningOptions(canonicalization: .c14n10)),
        ]
        for (name, options) in tree {
            let signed = Fixtures.bytes(try Self.sign(Fixtures.gostSocial, options))
            #expect(try !Self.agree(signed, try Self.verifier(), context: name), "\(name) streamed")
            #expect(try Self.verifier().verify(signed, sourceName: "x").status == .valid, "\(name)")
        }
    }

    @Test("the repository's signed documents stream and agree with the tree")
    func repositoryDocuments() throws {
        let verifier = SignatureVerifier(
            trustStore: try TrustStore(directories: ["gost", "rsa", "ecdsa"].map { Fixtures.path("Certificates/trust/\($0)") }),
            policy: VerificationPolicy(validationTime: Self.time))
        var streamedSamples = 0
        for url in Fixtures.repositoryXMLFiles() {
            let bytes = [UInt8](try Data(contentsOf: url))
            guard Fixtures.string(bytes).contains("xmldsig#") else { continue }
            let took = try Self.agree(bytes, verifier, context: url.lastPathComponent)
            if url.path.contains("/Samples/") && url.lastPathComponent.hasSuffix(".signed.xml") {
                #expect(took, "\(url.lastPathComponent) did not stream")
                streamedSamples += took ? 1 : 0
            }
        }
        #expect(streamedSamples >= 8)
    }

    @Test("namespaces declared on the signature's ancestors, and a signature deeper in the document")
    func signatureContext() throws {
        let signed = try Self.sign(Fixtures.gostSocial)
        let declaration = " xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\""
        #expect(signed.contains("<ds:Signature" + declaration))
        // The ds declaration moved from the signature to the document element: exclusive C14N
        // renders it where it is used, so the signature still holds, and the wrapper must supply it.
        let moved = signed.replacingOccurrences(of: "<ds:Signature" + declaration, with: "<ds:Signature")
            .replacingOccurrences(of: "<req:Request ", with: "<req:Request" + declaration + " ")
        #expect(try Self.agree(Fixtures.bytes(moved), try Self.verifier(), context: "moved ds declaration"))
        // The signature moved into an inner element: URI="" with enveloped-signature still covers the rest.
        let start = try #require(moved.range(of: "<ds:Signature"))
        let end = try #require(moved.range(of: "</ds:Signature>"))
        let signature = String(moved[start.lowerBound..<end.upperBound])
        let inner = moved.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "")
            .replacingOccurrences(of: "</req:Body>", with: signature + "</req:Body>")
        #expect(try Self.agree(Fixtures.bytes(inner), try Self.verifier(), context: "signature inside req:Body"))
        // A byte-order mark before the document: the signature's bytes are still found where they are.
        #expect(try Self.agree([0xEF, 0xBB, 0xBF] + Fixtures.bytes(moved), try Self.verifier(), context: "byte-order mark"))
        // A default namespace in scope at an unprefixed signature.
        let plain = """
            <Request xmlns="urn:mezhved:test:plain" xmlns:x="urn:x"><Need>Сведения о доходах &amp; выплатах</Need><x:Code a="1&amp;2">7</x:Code></Request>
            """
        let signedPlain = try Self.sign(Fixtures.rsa, SigningOptions(), Fixtures.bytes(plain))
        #expect(try Self.agree(Fixtures.bytes(signedPlain), try Self.verifier(Fixtures.rsa), context: "default namespace"))
        let unprefixed = signedPlain.replacingOccurrences(of: "ds:", with: "").replacingOccurrences(of: "xmlns:ds=", with: "xmlns=")
        let taken = try Self.agree(Fixtures.bytes(unprefixed), try Self.verifier(Fixtures.rsa), context: "unprefixed signature")
        #expect(taken == (try Self.verifier(Fixtures.rsa).verifyTree(Fixtures.bytes(unprefixed), sourceName: "x").status == .valid))
    }

    @Test("documents the stream leaves to the tree, which still judges them as before")
    func leftToTheTree() throws {
        let verifier = try Self.verifier()
        let request = Fixtures.request
        // Signed as they are: valid, but only the tree path may say so.
        let signedAsIs: [(String, String)] = [
            ("a comment in the content", request.replacingOccurrences(of: "<req:Person>", with: "<!-- note --><req:Person>")),
            ("xml:lang on the document element", request.replacingOccurrences(of: "<req:Request ", with: "<req:Request xml:lang=\"ru\" ")),
            ("an Id used twice", request.replacingOccurrences(of: "<req:Need>", with: "<req:Need Id=\"body\">")),
        ]
        for (name, text) in signedAsIs {
            let bytes = Fixtures.bytes(try Self.sign(Fixtures.gostSocial, SigningOptions(), Fixtures.bytes(text)))
            #expect(verifier.verifyStreaming(bytes, sourceName: "x") == nil, "\(name) streamed")
            #expect(try verifier.verify(bytes, sourceName: "x").status == .valid, "\(name)")
        }
        // Changed after signing.
        let signed = try Self.sign(Fixtures.gostSocial)
        let changed: [(String, String, VerificationReport.Status)] = [
            ("a comment added to the content", signed.replacingOccurrences(of: "<req:Person>", with: "<!-- note --><req:Person>"), .valid),
            ("tampered content", signed.replacingOccurrences(of: "Петров", with: "Петрова"), .invalid),
            ("a comment spliced into signed text", signed.replacingOccurrences(of: "Петров Пётр", with: "Петров<!---->Пётр"), .invalid),
        ]
        for (name, text, expected) in changed {
            let bytes = Fixtures.bytes(text)
            #expect(verifier.verifyStreaming(bytes, sourceName: "x") == nil, "\(name) streamed")
            #expect(try verifier.verify(bytes, sourceName: "x").status == expected, "\(name)")
        }
        // Two signatures: the second, a copy of the first, placed inside the content.
        let start = try #require(signed.range(of: "<ds:Signature"))
        let end = try #require(signed.range(of: "</ds:Signature>"))
        let twice = signed.replacingOccurrences(of: "</req:Body>", with: String(signed[start.lowerBound..<end.upperBound]) + "</req:Body>")
        #expect(verifier.verifyStreaming(Fixtures.bytes(twice), sourceName: "x") == nil)
        let report = try verifier.verify(Fixtures.bytes(twice), sourceName: "x")
        #expect(report.status == .invalid && report.problems.map(\.check) == [.structure])
    }

    @Test("the digest method guessed from the signature's bytes only decides what is hashed on the way")
    func digestGuess() throws {
        let signed = try Self.sign(Fixtures.gostSocial)
        // An unsigned ds:Object after SignedInfo that names another digest method after a URI="".
        let decoy =
            "<ds:Object><ds:Manifest><ds:Reference URI=\"\"><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"
            + "<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:Manifest></ds:Object></ds:Signature>"
        let misleading = Fixtures.bytes(signed.replacingOccurrences(of: "</ds:Signature>", with: decoy))
        // Hashed with the wrong method and nothing kept: the tree path decides.
        let hashedOnly = try Self.verifier(retain: false)
        #expect(hashedOnly.verifyStreaming(misleading, sourceName: "x") == nil)
        #expect(try hashedOnly.verify(misleading, sourceName: "x").status == .valid)
        // With the octets kept, the right method is applied to them.
        #expect(try Self.agree(misleading, try Self.verifier(retain: true), context: "decoy digest method"))
        // No method to be found (other spacing): everything is kept and hashed after the parse.
        let spaced = Fixtures.bytes(signed.replacingOccurrences(of: "DigestMethod Algorithm=", with: "DigestMethod  Algorithm="))
        #expect(try Self.agree(spaced, hashedOnly, context: "no digest method found"))
    }

    @Test("the backward byte search (for the last URI=\"\") agrees with a plain search, at every floor and edge")
    func lastOccurrence() {
        func plain(_ bytes: [UInt8], _ floor: Int, _ needle: [UInt8]) -> Int {
            guard needle.count <= bytes.count else { return -1 }
            for start in stride(from: bytes.count - needle.count, through: floor, by: -1)
            where Array(bytes[start..<start + needle.count]) == needle {
                return start
            }
            return -1
        }
        func fast(_ bytes: [UInt8], _ floor: Int, _ needle: [UInt8]) -> Int {
            bytes.withUnsafeBufferPointer { haystack in
                needle.withUnsafeBufferPointer { n in
                    n.withMemoryRebound(to: CChar.self) {
                        mz_last_occurrence(haystack.baseAddress, haystack.count, floor, $0.baseAddress, $0.count)
                    }
                }
            }
        }
        #expect(fast([], 0, Array("URI=\"\"".utf8)) == -1)
        #expect(fast(Array("URI=\"\"".utf8), 0, Array("URI=\"\"".utf8)) == 0)
        #expect(fast(Array("xURI=\"\"".utf8), 2, Array("URI=\"\"".utf8)) == -1)
        var generator = SeededGenerator(seed: 0x1A57_0CC)
        var found = 0
        for _ in 0..<3_000 {
            // A small alphabet makes partial matches (a "U" not followed by the rest) common.
            let alphabet = Array("URI=\"x".utf8)
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let needle = (0..<Int.random(in: 1...4, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let floor = Int.random(in: 0...max(0, bytes.count), using: &generator)
            let expected = plain(bytes, floor, needle)
            #expect(fast(bytes, floor, needle) == expected, "\(String(decoding: bytes, as: UTF8.self)) floor \(floor)")
            if expected >= 0 { found += 1 }
        }
        #expect(found > 500)
    }

    @Test("random mutations of signed documents: whatever streams as valid, the tree finds valid, with the same report")
    func mutations() throws {
        var generator = SeededGenerator(seed: 0x5EED_0F_7E57)
        let documents: [(Fixtures.Signer, String)] = [
            (Fixtures.gostSocial, try Self.sign(Fixtures.gostSocial)),
            (Fixtures.rsa, try Self.sign(Fixtures.rsa, SigningOptions(xades: .bes, signingTime: Self.time))),
        ]
        var streamed = 0
        var total = 0
        for (index, (signer, signed)) in documents.enumerated() {
            // Without the signed content kept, the content is only hashed on the way.
            let verifier = try Self.verifier(signer, retain: index == 0)
            let original = Array(signed.utf8)
            for round in 0..<600 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...3, using: &generator) { Self.mutate(&bytes, using: &generator) }
                total += 1
                if try Self.agree(bytes, verifier, context: "mutation \(round)") { streamed += 1 }
                // The public entry point says what the tree path says.
                let full = Result { try verifier.verify(bytes, sourceName: "suspect.xml").status }
                let tree = Result { try verifier.verifyTree(bytes, sourceName: "suspect.xml").status }
                switch (full, tree) {
                case (.success(let a), .success(let b)): #expect(a == b, "mutation \(round)")
                case (.failure, .failure): break
                default: Issue.record("mutation \(round): verify and verifyTree disagree: \(full) against \(tree)")
                }
            }
        }
        // Mutations that keep the canonical form (blanks in tags, quotes, declarations moved) stream.
        #expect(streamed > 50, "only \(streamed) of \(total) mutated documents streamed")
        print("streaming verification: \(streamed) of \(total) mutated documents streamed, each agreeing with the tree")
    }

    /// One change: a flipped byte, blanks inside a tag, the other quote style, an inserted
    /// comment, a namespace declaration, a duplicated or moved element, a cut.
    static func mutate(_ bytes: inout [UInt8], using generator: inout SeededGenerator) {
        let text = String(decoding: bytes, as: UTF8.self)
        var mutated = text
        switch Int.random(in: 0..<9, using: &generator) {
        case 0:  // a flipped byte anywhere
            var copy = bytes
            copy[Int.random(in: 0..<copy.count, using: &generator)] ^= UInt8(1 << Int.random(in: 0..<7, using: &generator))
            bytes = copy
            return
        case 1:  // blanks before the end of a start tag: the canonical form is unchanged
            let tags = positions(of: "\">", in: text)
            if let at = tags.randomElement(using: &generator) { mutated.insert(contentsOf: "  \n", at: text.index(at, offsetBy: 1)) }
        case 2:  // an attribute in single quotes
            if let at = positions(of: "=\"", in: text).randomElement(using: &generator),
                let close = text[text.index(at, offsetBy: 2)...].firstIndex(of: "\"")
            {
                var copy = text
                copy.replaceSubrange(close...close, with: "'")
                copy.replaceSubrange(text.index(at, offsetBy: 1)...text.index(at, offsetBy: 1), with: "'")
                mutated = copy
            }
        case 3:  // a comment after some start tag
            if let at = positions(of: ">", in: text).randomElement(using: &generator) {
                mutated.insert(contentsOf: "<!--c-->", at: text.index(after: at))
            }
        case 4:  // an unused or a shadowing namespace declaration on some element
            let declarations = [
                " xmlns:z=\"urn:z\"", " xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"", " xmlns:req=\"urn:other\"", " xmlns=\"urn:d\"",
                " xml:lang=\"ru\"", " Id=\"body\"",
            ]
            if let at = positions(of: "<req:", in: text).randomElement(using: &generator) {
                let nameEnd = text[at...].firstIndex(where: { $0 == " " || $0 == ">" })!
                mutated.insert(contentsOf: declarations.randomElement(using: &generator)!, at: nameEnd)
            }
        case 5:  // the signature, or one of its parts, copied elsewhere
            for name in ["ds:Signature", "ds:SignedInfo", "ds:Reference", "ds:KeyInfo", "ds:Object"].shuffled(using: &generator) {
                guard let start = text.range(of: "<\(name)"), let end = text.range(of: "</\(name)>") else { continue }
                let part = String(text[start.lowerBound..<end.upperBound])
                let targets = positions(of: "</req:", in: text) + positions(of: "</ds:", in: text)
                if let at = targets.randomElement(using: &generator) { mutated.insert(contentsOf: part, at: at) }
                break
            }
        case 6:  // the signature moved to another place in the content
            if let start = text.range(of: "<ds:Signature"), let end = text.range(of: "</ds:Signature>") {
                let signature = String(text[start.lowerBound..<end.upperBound])
                var copy = text
                copy.removeSubrange(start.lowerBound..<end.upperBound)
                if let at = positions(of: "</req:", in: copy).randomElement(using: &generator) {
                    copy.insert(contentsOf: signature, at: at)
                    mutated = copy
                }
            }
        case 7:  // text changed inside some element
            if let at = positions(of: ">", in: text).randomElement(using: &generator) {
                mutated.insert(
                    contentsOf: ["x", " ", "&amp;", "&#1055;", "<![CDATA[y]]>"].randomElement(using: &generator)!, at: text.index(after: at)
                )
            }
        default:  // a cut
            let count = bytes.count
            let from = Int.random(in: 0..<count, using: &generator)
            bytes.removeSubrange(from..<min(count, from + Int.random(in: 1...40, using: &generator)))
            return
        }
        bytes = Array(mutated.utf8)
    }

    static func positions(of needle: String, in text: String) -> [String.Index] {
        var found: [String.Index] = []
        var from = text.startIndex
        while let range = text.range(of: needle, range: from..<text.endIndex) {
            found.append(range.lowerBound)
            from = range.upperBound
        }
        return found
    }
}
