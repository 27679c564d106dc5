internal import CLibXML2
internal import CMezhvedShims

/// The SMEV 3 transform `urn://smev-gov-ru/xmldsig/transform` (methodological recommendations of
/// SMEV 3): a normalisation applied to the octets of exclusive canonicalization.
///
/// It drops the XML declaration, processing instructions, comments and whitespace-only text;
/// writes every element with a prefix `ns1`, `ns2`, … numbered in order of first use within the
/// document and declared on the element where a namespace URI is first needed in scope (unused
/// declarations disappear); sorts attributes (namespace-qualified first, by namespace URI then local
/// name; unqualified after, by local name); writes namespace declarations before attributes and empty
/// elements as `<a></a>`. Elements without a namespace (which SMEV does not use) are written without
/// a prefix.
enum SMEVTransform {
    static func apply(_ input: [UInt8], sourceName: String, limits: XMLParsingLimits) throws -> [UInt8] {
        let tree = try XMLTree.parse(input, sourceName: "\(sourceName) (input of the SMEV transform)", limits: limits)
        var writer = Writer()
        writer.element(tree.root)
        return writer.out
    }

    private struct Writer {
        var out: [UInt8] = []
        var counter = 1
        var scopes: [[(prefix: String, uri: String)]] = []

        func prefix(for uri: String) -> String? {
            for scope in scopes {
                for mapping in scope where mapping.uri == uri { return mapping.prefix }
            }
            return nil
        }

        mutating func element(_ node: XMLNodePointer) {
            scopes.append([])
            let uri = node.namespaceURI ?? ""
            var elementPrefix: String? = nil
            if !uri.isEmpty {
                if let existing = prefix(for: uri) {
                    elementPrefix = existing
                } else {
                    let fresh = "ns\(counter)"
                    counter += 1
                    scopes[scopes.count - 1].append((fresh, uri))
                    elementPrefix = fresh
                }
            }
            // Attributes: sort, then map namespace URIs to prefixes.
            var attributes: [(uri: String, local: String, value: String)] = []
            var property = node.pointee.properties
            while let p = property {
                let local = p.pointee.name.map { String(cString: $0) } ?? ""
                let attrURI = p.pointee.ns?.pointee.href.map { String(cString: $0) } ?? ""
                var value = ""
                if let v = xmlNodeGetContent(UnsafeMutableRawPointer(p).assumingMemoryBound(to: xmlNode.self)) {
                    value = String(cString: v)
                    mz_xml_free(v)
                }
                attributes.append((attrURI, local, value))
                property = p.pointee.next
            }
            attributes.sort { a, b in
                switch (a.uri.isEmpty, b.uri.isEmpty) {
                case (false, true): return true
                case (true, false): return false
                case (false, false):
                    if a.uri != b.uri { return Array(a.uri.utf16).lexicographicallyPrecedes(Array(b.uri.utf16)) }
                    return Array(a.local.utf16).lexicographicallyPrecedes(Array(b.local.utf16))
                case (true, true):
                    return Array(a.local.utf16).lexicographicallyPrecedes(Array(b.local.utf16))
                }
            }
            var renderedAttributes: [(name: String, value: String)] = []
            for attribute in attributes {
                if attribute.uri.isEmpty {
                    renderedAttributes.append((attribute.local, attribute.value))
                } else {
                    var p = prefix(for: attribute.uri)
                    if p == nil {
                        let fresh = "ns\(counter)"
                        counter += 1
                        scopes[scopes.count - 1].append((fresh, attribute.uri))
                        p = fresh
                    }
                    renderedAttributes.append(("\(p!):\(attribute.local)", attribute.value))
                }
            }
            let qualifiedName = elementPrefix.map { "\($0):\(node.localName)" } ?? node.localName
            write("<" + qualifiedName)
            for mapping in scopes[scopes.count - 1] {
                write(" xmlns:\(mapping.prefix)=\"")
                escape(mapping.uri, attribute: true)
                write("\"")
            }
            for attribute in renderedAttributes {
                write(" \(attribute.name)=\"")
                escape(attribute.value, attribute: true)
                write("\"")
            }
            write(">")
            var child = node.pointee.children
            while let c = child {
                switch c.pointee.type {
                case XML_ELEMENT_NODE:
                    element(c)
                case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                    if let content = c.pointee.content {
                        let text = String(cString: content)
                        if text.unicodeScalars.contains(where: { $0.value > 0x20 }) { escape(text, attribute: false) }
                    }
                default:
                    break  // comments and processing instructions are dropped
                }
                child = c.pointee.next
            }
            write("</" + qualifiedName + ">")
            scopes.removeLast()
        }

        mutating func write(_ s: String) { out.append(contentsOf: s.utf8) }

        mutating func escape(_ s: String, attribute: Bool) {
            for byte in s.utf8 {
                switch byte {
                case UInt8(ascii: "&"): write("&amp;")
                case UInt8(ascii: "<"): write("&lt;")
                case UInt8(ascii: ">"): write("&gt;")
                case UInt8(ascii: "\"") where attribute: write("&quot;")
                default: out.append(byte)
                }
            }
        }
    }
}
