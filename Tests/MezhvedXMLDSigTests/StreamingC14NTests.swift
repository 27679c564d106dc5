import CLibXML2
import CMezhvedShims
import Foundation
import MezhvedTestSupport
import Testing

@testable import MezhvedXMLDSig

/// The streaming canonicalization (no tree: it follows libxml2's SAX2 events while the document is
/// parsed) must write exactly what libxml2's `xmlC14NExecute` writes on the parsed tree, for the
/// whole document and for the element selected by Id; whatever it cannot follow must leave the
/// document to the tree path. Signing through it must give the bytes the tree path gives.
@Suite("Streaming exclusive canonicalization against libxml2")
struct StreamingC14NTests {
    /// Compares the streaming canonicalization of `bytes` with libxml2's on the parsed tree.
    /// Returns false when they differ; a document the stream leaves to the tree is not a difference
    /// when `allowedRefusals` holds the reason.
    static func agree(
        _ bytes: [UInt8], tree: XMLTree, target: XMLNodePointer?, targetID: String?, algorithm: CanonicalizationAlgorithm,
        prefixes: [String], allowedRefusals: Set<Int32> = [], context: String
    ) -> Bool {
        let reference = Result {
            try Canonicalizer.canonicalBytes(
                tree, selection: NodeSetSelection(subtree: target, excluded: nil), algorithm: algorithm, inclusivePrefixes: prefixes,
                engine: .libxml2)
        }
        let streamed = Canonicalizer.streamedBytes(
            bytes, targetID: targetID, inclusivePrefixes: prefixes, withComments: algorithm.withComments)
        switch (reference, streamed) {
        case (.success(let a), .success(let b)):
            if a != b {
                Issue.record(
                    "\(context): octets differ\nlibxml2: \(String(decoding: a, as: UTF8.self))\nstream:  \(String(decoding: b, as: UTF8.self))"
                )
                return false
            }
            return true
        case (_, .failure(let refusal)) where allowedRefusals.contains(refusal.reason):
            return true
        case (.failure, .success):
            Issue.record("\(context): libxml2 failed where the stream did not")
            return false
        case (_, .failure(let refusal)):
            Issue.record("\(context): the stream refused (reason \(refusal.reason)) a document libxml2 canonicalizes")
            return false
        }
    }

    /// Elements whose Id/ID/id value is carried by no other element, with that value.
    static func uniquelyIdentified(_ tree: XMLTree) -> [(XMLNodePointer, String)] {
        var found: [(XMLNodePointer, String)] = []
        tree.forEachElement { element in
            var property = element.pointee.properties
            while let p = property {
                let name = String(cString: p.pointee.name)
                if name == "Id" || name == "ID" || name == "id",
                    let raw = xmlNodeGetContent(UnsafeMutableRawPointer(p).assumingMemoryBound(to: xmlNode.self))
                {
                    let value = String(cString: raw)
                    mz_xml_free(raw)
                    if elementsWithID(value, in: tree).count == 1 { found.append((element, value)) }
                    break
                }
                property = p.pointee.next
            }
        }
        return found
    }

    @Test("every XML file in Samples/ and Tests/: the whole document and every element with a unique Id")
    func repositoryFiles() throws {
        let files = Fixtures.repositoryXMLFiles()
        #expect(files.count >= 5)
        var compared = 0
        for file in files {
            let bytes = Array(try Data(contentsOf: file))
            guard let tree = try? XMLTree.parse(bytes, sourceName: file.lastPathComponent, limits: XMLParsingLimits()) else {
                // The tree path refuses it: so must the stream.
                if case .success = Canonicalizer.streamedBytes(bytes, targetID: nil, withComments: false) {
                    Issue.record("\(file.lastPathComponent): the stream accepted a document the tree path refuses")
                }
                continue
            }
            // Another encoding than UTF-8 is left to the tree path by design.
            let allowed: Set<Int32> = [Int32(MZ_STREAM_NOT_UTF8)]
            for algorithm in [CanonicalizationAlgorithm.exclusive, .exclusiveWithComments] {
                for prefixes in [[], ["#default", "ds"]] {
                    let name = "\(file.lastPathComponent) \(algorithm) \(prefixes)"
                    _ = Self.agree(
                        bytes, tree: tree, target: nil, targetID: nil, algorithm: algorithm, prefixes: prefixes,
                        allowedRefusals: allowed, context: name)
                    for (element, id) in Self.uniquelyIdentified(tree) {
                        _ = Self.agree(
                            bytes, tree: tree, target: element, targetID: id, algorithm: algorithm, prefixes: prefixes,
                            allowedRefusals: allowed, context: "\(name) #\(id)")
                    }
                    compared += 1
                }
            }
        }
        #expect(compared > 20)
    }

    @Test("2,000 random documents with namespace games, whole and by Id, with and without comments and prefix lists")
    func randomDocuments() throws {
        var generator = SeededGenerator(seed: 0x7374_7265_616D)
        var failures = 0
        var byID = 0
        let prefixLists: [[String]] = [[], ["#default"], ["a", "b"], ["", "x", "a"], ["xml", "zz"]]
        for round in 0..<2000 {
            let text = RandomDocument.make(using: &generator)
            let bytes = Array(text.utf8)
            guard let tree = try? XMLTree.parse(bytes, sourceName: "random \(round)", limits: XMLParsingLimits()) else {
                Issue.record("the generator wrote a document libxml2 refused:\n\(text)")
                continue
            }
            for algorithm in [CanonicalizationAlgorithm.exclusive, .exclusiveWithComments] {
                let prefixes = prefixLists[Int.random(in: 0..<prefixLists.count, using: &generator)]
                let context = "random document \(round) \(algorithm) \(prefixes):\n\(text)\n"
                if !Self.agree(bytes, tree: tree, target: nil, targetID: nil, algorithm: algorithm, prefixes: prefixes, context: context) {
                    failures += 1
                }
                if let (element, id) = Self.uniquelyIdentified(tree).randomElement(using: &generator) {
                    byID += 1
                    if !Self.agree(
                        bytes, tree: tree, target: element, targetID: id, algorithm: algorithm, prefixes: prefixes,
                        context: "#\(id) of \(context)")
                    {
                        failures += 1
                    }
                }
            }
            if failures > 5 { break }
        }
        #expect(byID > 500, "too few random documents had an element with a unique Id: \(byID)")
    }

    @Test("deep nesting with many namespaces (the stacks grow past their first blocks)")
    func manyNamespaces() throws {
        var open = ""
        var close = ""
        for depth in 0..<70 {
            open +=
                "<p\(depth):e xmlns:p\(depth)=\"urn:n\(depth)\" xmlns:q\(depth)=\"urn:q\(depth % 7)\" q\(depth):a=\"\(depth)\" b=\"x\" Id=\"e\(depth)\">"
            close = "</p\(depth):e>" + close
        }
        let bytes = Array((open + "текст" + close).utf8)
        let limits = XMLParsingLimits(maxDepth: 80)
        let tree = try XMLTree.parse(bytes, sourceName: "deep", limits: limits)
        for prefixes in [[], ["p0", "q3", "#default"]] {
            let reference = try Canonicalizer.canonicalBytes(
                tree, selection: NodeSetSelection(), algorithm: .exclusive, inclusivePrefixes: prefixes, engine: .libxml2)
            let streamed = Canonicalizer.streamedBytes(
                bytes, targetID: nil, inclusivePrefixes: prefixes, withComments: false, limits: limits)
            #expect(try streamed.get() == reference)
            let inner = elementsWithID("e30", in: tree)[0]
            let innerReference = try Canonicalizer.canonicalBytes(
                tree, selection: NodeSetSelection(subtree: inner, excluded: nil), algorithm: .exclusive, inclusivePrefixes: prefixes,
                engine: .libxml2)
            let innerStreamed = Canonicalizer.streamedBytes(
                bytes, targetID: "e30", inclusivePrefixes: prefixes, withComments: false, limits: limits)
            #expect(try innerStreamed.get() == innerReference)
        }
    }

    @Test(
        "what the stream leaves to the tree path, with the reason",
        arguments: [
            ("<a><b></a>", nil, Int32(MZ_STREAM_MALFORMED)),
            ("", nil, Int32(MZ_STREAM_LIMIT_EXCEEDED)),
            ("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", nil, Int32(MZ_STREAM_DOCTYPE)),
            (
                "<!DOCTYPE b [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><b>&b;</b>", nil,
                Int32(MZ_STREAM_DOCTYPE)
            ),
            ("<a><b><c><d><e/></d></c></b></a>", nil, Int32(MZ_STREAM_LIMIT_EXCEEDED)),
            ("<a x1=\"1\" x2=\"2\" x3=\"3\" x4=\"4\" x5=\"5\"/>", nil, Int32(MZ_STREAM_LIMIT_EXCEEDED)),
            ("<a><p:b/></a>", nil, Int32(MZ_STREAM_NAMESPACE_ERROR)),
            ("<a xmlns:p=\"relative/path\"><p:b/></a>", nil, Int32(MZ_STREAM_NAMESPACE_URI)),
            ("<a xmlns:p='urn:x\"y'><p:b/></a>", nil, Int32(MZ_STREAM_NAMESPACE_ERROR)),  // libxml2: not a valid URI
            (
                "<a><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></a>", nil,
                Int32(MZ_STREAM_ALREADY_SIGNED)
            ),
            ("<a><b Id=\"x\"/></a>", "y", Int32(MZ_STREAM_TARGET_MISSING)),
            ("<a><b Id=\"x\"/><c id=\"x\"/></a>", "x", Int32(MZ_STREAM_TARGET_AMBIGUOUS)),
            ("<?xml version=\"1.0\" encoding=\"windows-1251\"?><a>\u{F2}</a>", nil, Int32(MZ_STREAM_NOT_UTF8)),
        ] as [(String, String?, Int32)])
    func refusals(document: String, targetID: String?, reason: Int32) throws {
        // One byte per character: "\u{F2}" is the windows-1251 byte for "т".
        let bytes = document.contains("windows-1251") ? document.unicodeScalars.map { UInt8($0.value) } : Array(document.utf8)
        let limits = XMLParsingLimits(maxDepth: 4, maxAttributesPerElement: 4)
        var sinkCalls = 0
        let result = Canonicalizer.canonicalizeStreaming(
            bytes, targetID: targetID, reservedID: nil, withComments: false, limits: limits
        ) { _ in sinkCalls += 1 }
        guard case .failure(let refusal) = result else {
            Issue.record("the stream accepted \(document)")
            return
        }
        #expect(refusal.reason == reason, "\(document)")
        // The tree path refuses it too, or (another encoding, a relative namespace for libxml2's
        // canonicalization to judge) takes it over.
        if ![Int32(MZ_STREAM_NOT_UTF8), Int32(MZ_STREAM_NAMESPACE_URI), Int32(MZ_STREAM_NAMESPACE_ERROR)].contains(reason) {
            let signer = try Fixtures.xmlSigner(Fixtures.rsa)
            #expect(throws: XMLDSigError.self) {
                try signer.sign(bytes, sourceName: "refused", options: SigningOptions(referenceID: targetID, limits: limits))
            }
        }
    }

    @Test("an element already carrying the Id meant for the signature is reported")
    func reservedID() throws {
        let result = Canonicalizer.canonicalizeStreaming(
            Array("<a><b Id=\"xmldsig-1\"/></a>".utf8), targetID: nil, reservedID: "xmldsig-1", withComments: false,
            limits: XMLParsingLimits()
        ) { _ in }
        #expect(try result.get().reservedIDSeen)
        #expect(try result.get().rootQualifiedName == "a")
    }

    /// Documents for the signing comparison: the unsigned sample, the fixture request, a prefixed
    /// root, one with trailing white space, and a 3 MB register (hashed on a second thread).
    static func documentsToSign() throws -> [(name: String, bytes: [UInt8], ids: [String?])] {
        var register = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r:Register xmlns:r=\"urn:mezhved:register\" Id=\"register\">\n"
        for i in 0..<25_000 {
            register += "  <r:Record n=\"\(i)\" Id=\"rec\(i)\"><r:Name>Получатель \(i) &amp; семья</r:Name></r:Record>\n"
        }
        register += "</r:Register>\n\n"
        return [
            ("sample", Array(try Data(contentsOf: Fixtures.root.appendingPathComponent("Samples/request-unemployment-status.xml"))), [nil]),
            ("request", Fixtures.requestBytes, [nil, "request", "body"]),
            ("register", Array(register.utf8), [nil, "register", "rec12345"]),
        ]
    }

    @Test("signing through the stream gives byte for byte what the tree path gives (RSA, deterministic), and verifies")
    func signingPathsAgree() throws {
        let signer = try Fixtures.xmlSigner(Fixtures.rsa)
        let verifier = try Fixtures.verifier(Fixtures.rsa, policy: VerificationPolicy(retainSignedContent: false))
        let algorithm = SignatureAlgorithm.rsaSHA256
        for (name, bytes, ids) in try Self.documentsToSign() {
            for id in ids {
                for c14n in [CanonicalizationAlgorithm.exclusive, .exclusiveWithComments] {
                    let options = SigningOptions(referenceID: id, canonicalization: c14n)
                    let streamed = try signer.signStreaming(
                        bytes, sourceName: name, options: options, algorithm: algorithm, digestAlgorithm: .sha256)
                    let tree = try signer.signTree(
                        bytes, sourceName: name, options: options, algorithm: algorithm, digestAlgorithm: .sha256)
                    guard let streamed else {
                        Issue.record("\(name) \(id ?? "whole") \(c14n): the stream left the document to the tree path")
                        continue
                    }
                    #expect(streamed == tree, "\(name) \(id ?? "whole") \(c14n)")
                    // The digest, computed apart: libxml2's canonical octets, hashed in one piece
                    // (the register is large enough for both paths to hash on a second thread).
                    let parsed = try XMLTree.parse(bytes, sourceName: name, limits: XMLParsingLimits())
                    let octets = try Canonicalizer.canonicalBytes(
                        parsed, selection: NodeSetSelection(subtree: id.map { elementsWithID($0, in: parsed)[0] }, excluded: nil),
                        algorithm: .exclusive, engine: .libxml2)
                    let expected = "<ds:DigestValue>\(Base64.encode(try DigestContext.digest(octets, .sha256)))</ds:DigestValue>"
                    #expect(Fixtures.string(streamed).contains(expected), "\(name) \(id ?? "whole"): digest")
                    #expect(try verifier.verify(streamed, sourceName: name).status == .valid, "\(name) \(id ?? "whole")")
                }
            }
        }
    }

    @Test("XAdES through the stream verifies; a windows-1251 document is signed through the tree")
    func otherPaths() throws {
        let signer = try Fixtures.xmlSigner(Fixtures.gostSocial)
        let verifier = try Fixtures.verifier(Fixtures.gostSocial)
        let xades = try signer.signStreaming(
            Fixtures.requestBytes, sourceName: "request", options: SigningOptions(xades: .bes), algorithm: .gost2012_256,
            digestAlgorithm: .streebog256)
        #expect(xades != nil)
        if let xades { #expect(try verifier.verify(xades, sourceName: "xades").status == .valid) }

        // One byte per character: "\u{F2}" is the windows-1251 byte for "т".
        let cp1251 = "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<a Id=\"a\">\u{F2}</a>\n".unicodeScalars.map { UInt8($0.value) }
        #expect(
            try signer.signStreaming(
                cp1251, sourceName: "cp1251", options: SigningOptions(), algorithm: .gost2012_256, digestAlgorithm: .streebog256) == nil)
        let signed = try signer.sign(cp1251, sourceName: "cp1251")
        #expect(try verifier.verify(signed, sourceName: "cp1251").status == .valid)
    }
}
