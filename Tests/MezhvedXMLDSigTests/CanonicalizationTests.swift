import Foundation
import MezhvedXMLDSig
import Testing

@Suite("Canonicalization and the SMEV transform")
struct CanonicalizationTests {
    static let samples: [String] = [
        "<doc xmlns=\"urn:a\" xmlns:b=\"urn:b\" xmlns:unused=\"urn:u\"><b:x b:y=\"1\" a=\"2\">text &amp; &lt;more&gt;</b:x><!-- c --><e/></doc>",
        "<?xml version=\"1.0\"?>\n<?pi data?>\n<r xml:lang=\"ru\">\r\n <t attr=\"a&#9;b&#10;c\">Привет\r\nмир</t><![CDATA[<raw> & ]]></r>",
        "<p:doc xmlns:p=\"urn:p\"><p:in xmlns:q=\"urn:q\"><q:deep q:a=\"x\"/></p:in></p:doc>",
    ]

    static let methods: [(CanonicalizationAlgorithm, String)] = [
        // xmllint keeps comments.
        (.c14n10WithComments, "--c14n"), (.c14n11WithComments, "--c14n11"), (.exclusiveWithComments, "--exc-c14n"),
    ]

    @Test("matches xmllint for C14N 1.0, 1.1 and exclusive C14N", arguments: samples)
    func matchesXmllint(sample: String) async throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("in.xml")
        try Data(sample.utf8).write(to: file)
        for (method, flag) in Self.methods {
            let ours = try XMLCanonicalization.canonicalize(Fixtures.bytes(sample), sourceName: "in.xml", algorithm: method)
            let theirs = try await Tool.run("xmllint", [flag, file.path])
            #expect(theirs.status == 0, "\(theirs.stderr)")
            #expect(Fixtures.string(ours) == theirs.stdout, "\(method)")
        }
    }

    @Test("matches lxml's exclusive canonicalization with and without comments", arguments: samples)
    func matchesLxml(sample: String) async throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("in.xml")
        try Data(sample.utf8).write(to: file)
        for comments in [false, true] {
            let script =
                "import sys\nfrom lxml import etree\nsys.stdout.buffer.write(etree.tostring(etree.parse(sys.argv[1]), method='c14n', exclusive=True, with_comments=\(comments ? "True" : "False")))"
            let result = try await Tool.run(Tool.python, ["-c", script, file.path])
            #expect(result.status == 0, "\(result.stderr)")
            let ours = try XMLCanonicalization.canonicalize(
                Fixtures.bytes(sample), sourceName: "in.xml", algorithm: comments ? .exclusiveWithComments : .exclusive)
            #expect(Fixtures.string(ours) == result.stdout)
        }
    }

    @Test("known canonical forms")
    func knownForms() throws {
        let input = "<?xml version=\"1.0\"?><a xmlns:x=\"urn:x\" b=\"2\" a=\"1\"><c/><!-- k --></a>"
        #expect(
            Fixtures.string(try XMLCanonicalization.canonicalize(Fixtures.bytes(input), sourceName: "t", algorithm: .exclusive))
                == "<a a=\"1\" b=\"2\"><c></c></a>")
        #expect(
            Fixtures.string(try XMLCanonicalization.canonicalize(Fixtures.bytes(input), sourceName: "t", algorithm: .c14n10WithComments))
                == "<a xmlns:x=\"urn:x\" a=\"1\" b=\"2\"><c></c><!-- k --></a>")
    }

    @Test("the SMEV transform: prefixes renamed in order of use, attributes sorted, whitespace, PIs and comments dropped")
    func smevBasic() throws {
        let input = """
            <?xml version="1.0" encoding="UTF-8"?>
            <?pi test?>
            <a:Root xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:u" b:z="1" y="2" a:x="3">
              <a:Child>  text  </a:Child>
              <b:Other/>
              <a:Child><!-- c --></a:Child>
            </a:Root>
            """
        let out = Fixtures.string(try XMLCanonicalization.smevNormalize(Fixtures.bytes(input), sourceName: "smev"))
        #expect(
            out
                == "<ns1:Root xmlns:ns1=\"urn:a\" xmlns:ns2=\"urn:b\" ns1:x=\"3\" ns2:z=\"1\" y=\"2\"><ns1:Child>  text  </ns1:Child><ns2:Other></ns2:Other><ns1:Child></ns1:Child></ns1:Root>"
        )
    }

    @Test("the SMEV transform: a namespace is declared where first used in scope; siblings get new numbers")
    func smevScopes() throws {
        let input = "<r xmlns=\"urn:r\"><x:a xmlns:x=\"urn:x\"><x:in/></x:a><x:b xmlns:x=\"urn:x\">&amp;&lt;&gt;\"</x:b></r>"
        let out = Fixtures.string(try XMLCanonicalization.smevNormalize(Fixtures.bytes(input), sourceName: "smev"))
        #expect(
            out
                == "<ns1:r xmlns:ns1=\"urn:r\"><ns2:a xmlns:ns2=\"urn:x\"><ns2:in></ns2:in></ns2:a><ns3:b xmlns:ns3=\"urn:x\">&amp;&lt;&gt;\"</ns3:b></ns1:r>"
        )
    }

    @Test("the SMEV transform is independent of the original prefixes and whitespace")
    func smevInvariance() throws {
        let one = "<p:doc xmlns:p=\"urn:doc\" xmlns:q=\"urn:q\"><p:v q:k=\"1\">x</p:v></p:doc>"
        let two = "<doc xmlns=\"urn:doc\">\n  <v xmlns:other=\"urn:q\" other:k=\"1\">x</v>\n</doc>"
        let a = try XMLCanonicalization.smevNormalize(Fixtures.bytes(one), sourceName: "one")
        let b = try XMLCanonicalization.smevNormalize(Fixtures.bytes(two), sourceName: "two")
        #expect(a == b)
    }

    @Test("Streebog digests match the GOST R 34.11-2012 test vector (M1)")
    func streebogVector() throws {
        // GOST R 34.11-2012, example 1: M1 = "012345678901234567890123456789012345678901234567890123456789012".
        let message = Fixtures.bytes("012345678901234567890123456789012345678901234567890123456789012")
        let h256 = try XMLCanonicalization.digest(message, algorithm: .streebog256)
        #expect(h256.map { String(format: "%02x", $0) }.joined() == "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500")
        let h512 = try XMLCanonicalization.digest(message, algorithm: .streebog512)
        #expect(h512.map { String(format: "%02x", $0) }.joined().hasPrefix("1b54d01a4af5b9d5cc3d86d68d285462"))
    }
}
