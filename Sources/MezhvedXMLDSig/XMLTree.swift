package import CLibXML2
package import CMezhvedShims
import Foundation
import MezhvedCore

package typealias XMLNodePointer = UnsafeMutablePointer<xmlNode>

/// Limits applied to every document before anything else looks at it.
public struct XMLParsingLimits: Sendable, Equatable {
    /// Largest accepted document, in bytes.
    public var maxBytes: Int
    /// Deepest accepted element nesting.
    public var maxDepth: Int
    /// Most attributes (namespace declarations included) on one element.
    public var maxAttributesPerElement: Int

    /// Defaults sized for agency documents with attachments: 128 MiB, depth 64, 64 attributes.
    public init(maxBytes: Int = 128 << 20, maxDepth: Int = 64, maxAttributesPerElement: Int = 64) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxAttributesPerElement = maxAttributesPerElement
    }
}

/// A parsed XML document: the one owner of a libxml2 `xmlDoc`, freed in `deinit`. Visible to the
/// package's other modules (documents), never public: C types stay inside the package.
package final class XMLTree {
    package let doc: xmlDocPtr
    /// The name of the input, for messages (a path or "standard input").
    package let sourceName: String
    /// The size of the parsed input in bytes (0 for a document made here).
    package let sourceByteCount: Int
    /// Where the parsed document is not namespace-well-formed (a prefix used without a
    /// declaration), as libxml2 reports its last namespace error; nil when it is.
    package let namespaceError: NamespaceError?

    /// A namespace error of a parsed document: its line (0 when unknown) and libxml2's message.
    package struct NamespaceError: Sendable {
        package let line: Int
        package let message: String
    }

    /// Takes ownership of a document made here (not parsed), such as a scratch document.
    package init(adopting doc: xmlDocPtr, sourceName: String) {
        self.doc = doc
        self.sourceName = sourceName
        self.sourceByteCount = 0
        self.namespaceError = nil
    }

    private init(doc: xmlDocPtr, sourceName: String, sourceByteCount: Int, namespaceError: NamespaceError?) {
        self.doc = doc
        self.sourceName = sourceName
        self.sourceByteCount = sourceByteCount
        self.namespaceError = namespaceError
    }

    deinit { xmlFreeDoc(doc) }

    /// Parses `bytes` with DTDs, entities and network access refused, then checks the limits.
    package static func parse(_ bytes: [UInt8], sourceName: String, limits: XMLParsingLimits) throws -> XMLTree {
        CryptoRuntime.ready()
        guard bytes.count <= limits.maxBytes else {
            throw XMLDSigError(
                .limitExceeded, "\(sourceName) is \(bytes.count) bytes, more than the limit of \(limits.maxBytes) bytes",
                hint: "split the document, or raise the limit if the document is expected to be this large")
        }
        guard !bytes.isEmpty else {
            throw XMLDSigError(.malformedXML, "\(sourceName) is empty", hint: "give an XML document")
        }
        guard bytes.count < Int(Int32.max) else {
            throw XMLDSigError(.limitExceeded, "\(sourceName) is too large for the XML parser")
        }
        let options: Int32 =
            Int32(XML_PARSE_NONET.rawValue) | Int32(XML_PARSE_NOERROR.rawValue) | Int32(XML_PARSE_NOWARNING.rawValue)
            | Int32(XML_PARSE_COMPACT.rawValue) | Int32(XML_PARSE_BIG_LINES.rawValue)
        var failure = mz_parse_failure()
        let doc = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                mz_xml_parse_memory(chars, Int32(buffer.count), nil, options, &failure)
            }
        }
        guard let doc else {
            let message = withUnsafeBytes(of: &failure.message) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if failure.refused_dtd != 0 {
                throw XMLDSigError(
                    .hostileXML, "\(sourceName) declares a DOCTYPE (DTD); documents with DTDs or entity declarations are refused",
                    hint:
                        "remove the DOCTYPE: agency documents never need one, and DTDs enable entity-expansion and external-entity attacks")
            }
            let place = failure.line > 0 ? " at line \(failure.line)" : ""
            throw XMLDSigError(
                .malformedXML, "\(sourceName) is not well-formed XML\(place): \(message)",
                hint: "check that the file is a complete XML document")
        }
        var namespaceError: NamespaceError? = nil
        if failure.namespace_error != 0 {
            let message = withUnsafeBytes(of: &failure.namespace_message) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            namespaceError = NamespaceError(line: Int(failure.namespace_line), message: message)
        }
        let tree = XMLTree(doc: doc, sourceName: sourceName, sourceByteCount: bytes.count, namespaceError: namespaceError)
        try tree.checkLimits(limits)
        return tree
    }

    /// Walks the tree once (iteratively) checking nesting depth and attribute counts.
    private func checkLimits(_ limits: XMLParsingLimits) throws {
        guard let root = xmlDocGetRootElement(doc) else {
            throw XMLDSigError(.malformedXML, "\(sourceName) has no root element")
        }
        var stack: [(XMLNodePointer, Int)] = [(root, 1)]
        while let (node, depth) = stack.popLast() {
            if depth > limits.maxDepth {
                throw XMLDSigError(
                    .limitExceeded,
                    "\(sourceName) nests elements \(depth) deep at line \(xmlGetLineNo(node)); the limit is \(limits.maxDepth)",
                    hint: "deeply nested documents are refused as a denial-of-service guard")
            }
            var attributes = 0
            var property = node.pointee.properties
            while let p = property { attributes += 1; property = p.pointee.next }
            var namespace = node.pointee.nsDef
            while let n = namespace { attributes += 1; namespace = n.pointee.next }
            if attributes > limits.maxAttributesPerElement {
                throw XMLDSigError(
                    .limitExceeded,
                    "element <\(DocumentText.cut(node.localName))> at line \(xmlGetLineNo(node)) of \(sourceName) has \(attributes) attributes; the limit is \(limits.maxAttributesPerElement)",
                    hint: "such documents are refused as a denial-of-service guard")
            }
            var child = node.pointee.children
            while let c = child {
                if c.pointee.type == XML_ELEMENT_NODE { stack.append((c, depth + 1)) }
                child = c.pointee.next
            }
        }
    }

    package var root: XMLNodePointer { xmlDocGetRootElement(doc)! }

    /// Serializes the document as UTF-8 with an XML declaration, keeping every byte of content.
    package func serialized() -> [UInt8] {
        var memory: UnsafeMutablePointer<xmlChar>?
        var size: Int32 = 0
        xmlDocDumpMemoryEnc(doc, &memory, &size, "UTF-8")
        guard let memory else { return [] }
        defer { mz_xml_free(memory) }
        return Array(UnsafeBufferPointer(start: memory, count: Int(size)))
    }

    /// Serializes one node (and its subtree) as it would appear in the document, UTF-8.
    package func serialized(node: XMLNodePointer) -> [UInt8] {
        guard let buffer = xmlBufferCreate() else { return [] }
        defer { xmlBufferFree(buffer) }
        _ = xmlNodeDump(buffer, doc, node, 0, 0)
        guard let content = xmlBufferContent(buffer) else { return [] }
        return Array(UnsafeBufferPointer(start: content, count: Int(xmlBufferLength(buffer))))
    }

    /// Every element in document order, depth first.
    package func forEachElement(from start: XMLNodePointer? = nil, _ body: (XMLNodePointer) throws -> Void) rethrows {
        // Document order without a stack: down to the first child, else to the next sibling, else
        // up until an ancestor (below the start) has a next sibling.
        let top = start ?? root
        var node: XMLNodePointer? = top
        while let current = node {
            try body(current)
            if let child = Self.firstElement(current.pointee.children) {
                node = child
                continue
            }
            var climb: XMLNodePointer? = current
            node = nil
            while let c = climb, c != top {
                if let sibling = Self.firstElement(c.pointee.next) {
                    node = sibling
                    break
                }
                climb = c.pointee.parent
            }
        }
    }

    private static func firstElement(_ start: XMLNodePointer?) -> XMLNodePointer? {
        var node = start
        while let n = node {
            if n.pointee.type == XML_ELEMENT_NODE { return n }
            node = n.pointee.next
        }
        return nil
    }
}

extension UnsafeMutablePointer where Pointee == xmlNode {
    package var localName: String { pointee.name.map { String(cString: $0) } ?? "" }
    package var namespaceURI: String? { pointee.ns?.pointee.href.map { String(cString: $0) } }

    package func isElement(_ name: String, namespace: String) -> Bool {
        pointee.type == XML_ELEMENT_NODE && localName == name && namespaceURI == namespace
    }

    /// The element children, in order.
    package var elementChildren: [XMLNodePointer] {
        var result: [XMLNodePointer] = []
        var child = pointee.children
        while let c = child {
            if c.pointee.type == XML_ELEMENT_NODE { result.append(c) }
            child = c.pointee.next
        }
        return result
    }

    /// The value of an attribute without a namespace, or nil.
    package func attribute(_ name: String) -> String? {
        guard let value = xmlGetNoNsProp(self, name) else { return nil }
        defer { mz_xml_free(value) }
        return String(cString: value)
    }

    /// The text content (all descendant text), or "".
    package var textContent: String {
        guard let value = xmlNodeGetContent(self) else { return "" }
        defer { mz_xml_free(value) }
        return String(cString: value)
    }

    /// Whether `ancestor` is this node or one of its ancestors.
    package func isInside(_ ancestor: XMLNodePointer) -> Bool {
        var current: XMLNodePointer? = self
        while let c = current {
            if c == ancestor { return true }
            current = c.pointee.parent
        }
        return false
    }

    /// A readable location such as `/Request/Body[2]` with the line number.
    package var path: String {
        var parts: [String] = []
        var current: XMLNodePointer? = self
        while let c = current, c.pointee.type == XML_ELEMENT_NODE {
            var index = 1
            var total = 0
            if let parent = c.pointee.parent {
                var sibling = parent.pointee.children
                var seen = false
                while let s = sibling {
                    if s.pointee.type == XML_ELEMENT_NODE && s.localName == c.localName && s.namespaceURI == c.namespaceURI {
                        total += 1
                        if s == c { seen = true } else if !seen { index += 1 }
                    }
                    sibling = s.pointee.next
                }
            }
            let prefix = c.pointee.ns?.pointee.prefix.map { String(cString: $0) + ":" } ?? ""
            let name = DocumentText.cut(prefix + c.localName)
            parts.append(total > 1 ? "\(name)[\(index)]" : name)
            current = c.pointee.parent
        }
        return "/" + parts.reversed().joined(separator: "/")
    }

    package var line: Int { Int(xmlGetLineNo(self)) }
}
