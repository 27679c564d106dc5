import Foundation
import MezhvedTestSupport
import Testing

@testable import MezhvedXMLDSig

/// mezhved's own exclusive-canonicalization walk must write exactly what libxml2's
/// `xmlC14NExecute` writes: on every XML file of the repository and on random documents full of
/// namespace redeclarations, `xmlns=""`, prefixed attributes, escapes, comments, PIs and CDATA,
/// for whole documents, subtrees and either less a subtree, with and without comments and
/// InclusiveNamespaces prefix lists.
@Suite("Exclusive canonicalization walk against libxml2")
struct ExclusiveC14NTests {
    static let algorithms: [CanonicalizationAlgorithm] = [.exclusive, .exclusiveWithComments]

    /// Compares both engines on `tree` for a selection; returns false when they differ.
    static func agree(
        _ tree: XMLTree, _ selection: NodeSetSelection, _ algorithm: CanonicalizationAlgorithm, _ prefixes: [String],
        context: String
    ) -> Bool {
        let reference = Result {
            try Canonicalizer.canonicalBytes(
                tree, selection: selection, algorithm: algorithm, inclusivePrefixes: prefixes, engine: .libxml2)
        }
        let fast = Result {
            try Canonicalizer.canonicalBytes(
                tree, selection: selection, algorithm: algorithm, inclusivePrefixes: prefixes, engine: .fastest)
        }
        switch (reference, fast) {
        case (.success(let a), .success(let b)):
            if a != b {
                Issue.record(
                    "\(context): octets differ\nlibxml2: \(String(decoding: a, as: UTF8.self))\nwalk:    \(String(decoding: b, as: UTF8.self))"
                )
                return false
            }
            return true
        case (.failure, .failure):
            return true
        case (.success, .failure(let error)):
            Issue.record("\(context): the walk failed where libxml2 did not: \(error)")
            return false
        case (.failure(let error), .success):
            Issue.record("\(context): libxml2 failed where the walk did not: \(error)")
            return false
        }
    }

    static func elements(of tree: XMLTree) -> [XMLNodePointer] {
        var all: [XMLNodePointer] = []
        tree.forEachElement { all.append($0) }
        return all
    }

    @Test("every XML file in Samples/ and Tests/ canonicalizes to the same octets, in every selection")
    func repositoryFiles() throws {
        let files = Fixtures.repositoryXMLFiles()
        #expect(files.count >= 5, "the repository's XML files were not found under \(Fixtures.root.path)")
        var compared = 0
        for file in files {
            guard
                let tree = try? XMLTree.parse(
                    Array(try Data(contentsOf: file)), sourceName: file.lastPathComponent, limits: XMLParsingLimits())
            else { continue }
            let all = Self.elements(of: tree)
            let signatures = all.filter { $0.localName == "Signature" }
            var selections = [NodeSetSelection()]
            selections += signatures.map { NodeSetSelection(subtree: nil, excluded: $0) }
            for element in all.prefix(40) {
                selections.append(NodeSetSelection(subtree: element, excluded: nil))
                if let inner = all.first(where: { $0 != element && $0.isInside(element) }) {
                    selections.append(NodeSetSelection(subtree: element, excluded: inner))
                }
            }
            for selection in selections {
                for algorithm in Self.algorithms {
                    for prefixes in [[], ["#default", "ds"]] {
                        _ = Self.agree(tree, selection, algorithm, prefixes, context: "\(file.lastPathComponent) \(algorithm) \(prefixes)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 100)
    }

    @Test("random documents with namespace games canonicalize to the same octets")
    func randomDocuments() throws {
        var generator = SeededGenerator(seed: 0x6D65_7A68)
        var failures = 0
        for round in 0..<2000 {
            let text = RandomDocument.make(using: &generator)
            let tree: XMLTree
            do {
                tree = try XMLTree.parse(Array(text.utf8), sourceName: "random \(round)", limits: XMLParsingLimits())
            } catch {
                Issue.record("the generator wrote a document libxml2 refused (\(error)):\n\(text)")
                continue
            }
            let all = Self.elements(of: tree)
            let pick = { all[Int.random(in: 0..<all.count, using: &generator)] }
            let subtree = pick()
            let inner = all.filter { $0.isInside(subtree) }.randomElement(using: &generator)
            let selections = [
                NodeSetSelection(), NodeSetSelection(subtree: nil, excluded: pick()), NodeSetSelection(subtree: subtree, excluded: nil),
                NodeSetSelection(subtree: subtree, excluded: inner),
            ]
            let prefixLists: [[String]] = [[], ["#default"], ["a", "b"], ["", "x", "a"], ["xml", "zz"]]
            for selection in selections {
                for algorithm in Self.algorithms {
                    let prefixes = prefixLists[Int.random(in: 0..<prefixLists.count, using: &generator)]
                    if !Self.agree(tree, selection, algorithm, prefixes, context: "random document \(round):\n\(text)\n") {
                        failures += 1
                    }
                }
            }
            if failures > 5 { break }
        }
    }

    @Test("deep nesting with many namespaces in use (the rendered-namespace stack grows past its first block)")
    func manyNamespaces() throws {
        var open = ""
        var close = ""
        for depth in 0..<50 {
            open += "<p\(depth):e xmlns:p\(depth)=\"urn:n\(depth)\" xmlns:q\(depth)=\"urn:q\(depth % 7)\" q\(depth):a=\"\(depth)\" b=\"x\">"
            close = "</p\(depth):e>" + close
        }
        let tree = try XMLTree.parse(Array((open + "текст" + close).utf8), sourceName: "deep", limits: XMLParsingLimits(maxDepth: 64))
        let all = Self.elements(of: tree)
        for selection in [NodeSetSelection(), NodeSetSelection(subtree: all[10], excluded: all[40])] {
            for prefixes in [[], ["p0", "q3", "#default"]] {
                #expect(Self.agree(tree, selection, .exclusive, prefixes, context: "deep \(prefixes)"))
            }
        }
    }

    @Test("a relative namespace URI is refused by both, and a quote in a namespace URI is written as libxml2 writes it")
    func libxml2Decides() throws {
        let relative = try XMLTree.parse(
            Array(#"<a xmlns:p="relative/path"><p:b/></a>"#.utf8), sourceName: "relative", limits: XMLParsingLimits())
        #expect(throws: XMLDSigError.self) {
            try Canonicalizer.canonicalBytes(relative, selection: NodeSetSelection(), algorithm: .exclusive, engine: .fastest)
        }
        let cyrillic = try XMLTree.parse(
            Array(#"<a xmlns:p="urn:ru:запрос"><p:b/></a>"#.utf8), sourceName: "cyrillic", limits: XMLParsingLimits())
        #expect(Self.agree(cyrillic, NodeSetSelection(), .exclusive, [], context: "non-ASCII namespace URI"))
        let quoted = try XMLTree.parse(
            Array(#"<a xmlns:p="urn:x&quot;y"><p:b/></a>"#.utf8), sourceName: "quoted", limits: XMLParsingLimits())
        #expect(Self.agree(quoted, NodeSetSelection(), .exclusive, [], context: "quoted namespace"))
    }
}

/// A small deterministic generator, so that a failure can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random well-formed namespace-aware documents.
enum RandomDocument {
    static let uris = ["urn:one", "urn:two", "http://example.com/ns", "http://www.w3.org/2000/09/xmldsig#", "urn:ru:mezhved:zapros"]
    static let prefixes = ["a", "b", "x", "ds"]
    static let texts = [
        "text", " ", "\n  ", "Иванов Иван", "a &amp; b", "1 &lt; 2", "2 &gt; 1", "&#13;", "\"quoted\"", "'", "\t",
        "<![CDATA[raw <b> & ]]>", "]]&gt;", "&#x411;",
    ]
    static let attributeValues = [
        "v", "", "Петров", "a &amp; b", "&lt;tag&gt;", "&quot;q&quot;", "&#9;tab", "&#10;nl", "&#13;cr", "'", " x  y ", "&#38;",
        "&amp;#38;x", "&#38;amp;&amp;",
    ]

    static func make<G: RandomNumberGenerator>(using g: inout G) -> String {
        var out = ""
        if Bool.random(using: &g) { out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" }
        out += outside(using: &g)
        out += element(depth: 0, scope: [:], using: &g)
        out += outside(using: &g)
        return out
    }

    static func outside<G: RandomNumberGenerator>(using g: inout G) -> String {
        switch Int.random(in: 0..<5, using: &g) {
        case 0: return "<!-- outside -->"
        case 1: return "<?target data?>\n"
        case 2: return "<?empty?><!--c-->"
        default: return ""
        }
    }

    /// `scope` maps prefixes ("" for the default namespace) to URIs ("" when undeclared).
    static func element<G: RandomNumberGenerator>(depth: Int, scope: [String: String], using g: inout G) -> String {
        var scope = scope
        var declarations = ""
        for _ in 0..<Int.random(in: 0...2, using: &g) {
            let prefix = Bool.random(using: &g) ? "" : prefixes.randomElement(using: &g)!
            guard !declarations.contains(prefix.isEmpty ? " xmlns=" : " xmlns:\(prefix)=") else { continue }
            let uri =
                prefix.isEmpty && scope[""].map({ !$0.isEmpty }) == true && Int.random(in: 0..<3, using: &g) == 0
                ? "" : uris.randomElement(using: &g)!
            declarations += prefix.isEmpty ? " xmlns=\"\(uri)\"" : " xmlns:\(prefix)=\"\(uri)\""
            scope[prefix] = uri
        }
        let bound = scope.filter { !$0.key.isEmpty && !$0.value.isEmpty }.keys.sorted()
        let prefix = bound.isEmpty || Bool.random(using: &g) ? "" : bound.randomElement(using: &g)!
        let name =
            (prefix.isEmpty ? "" : prefix + ":") + ["e", "Item", "ds:x", "Запись"].map { $0.replacingOccurrences(of: "ds:", with: "") }
            .randomElement(using: &g)!
        var attributes = ""
        var used = Set<String>()
        for _ in 0..<Int.random(in: 0...3, using: &g) {
            let local = ["id", "n", "Id", "b", "z", "Атрибут"].randomElement(using: &g)!
            var attributePrefix = ""
            if !bound.isEmpty, Int.random(in: 0..<3, using: &g) == 0 { attributePrefix = bound.randomElement(using: &g)! }
            if Int.random(in: 0..<8, using: &g) == 0 { attributePrefix = "xml" }
            let expanded = (attributePrefix == "xml" ? "xml" : scope[attributePrefix] ?? "") + "|" + local
            guard used.insert(expanded).inserted else { continue }
            let qualified = attributePrefix.isEmpty ? local : "\(attributePrefix):\(attributePrefix == "xml" ? "lang" : local)"
            guard !attributes.contains(" \(qualified)=") else { continue }
            attributes += " \(qualified)=\"\(attributeValues.randomElement(using: &g)!)\""
        }
        var content = ""
        if depth < 4 {
            for _ in 0..<Int.random(in: 0...4, using: &g) {
                switch Int.random(in: 0..<6, using: &g) {
                case 0, 1: content += element(depth: depth + 1, scope: scope, using: &g)
                case 2: content += "<!-- comment \(Int.random(in: 0..<9, using: &g)) &#13; -->".replacingOccurrences(of: "&#13;", with: "")
                case 3: content += "<?pi some data?>"
                default: content += texts.randomElement(using: &g)!
                }
            }
        }
        if content.isEmpty && Bool.random(using: &g) { return "<\(name)\(declarations)\(attributes)/>" }
        return "<\(name)\(declarations)\(attributes)>\(content)</\(name)>"
    }
}
