internal import CLibXML2
import Foundation

/// Which nodes of a document enter canonicalization: a whole document or one element's subtree,
/// optionally without one subtree (the `Signature` removed by the enveloped-signature transform).
struct NodeSetSelection {
    /// `nil` selects the whole document.
    var subtree: XMLNodePointer?
    /// A subtree left out (the enveloping signature), or `nil`.
    var excluded: XMLNodePointer?
}

/// Receives canonical bytes as libxml2 produces them, so that large documents are hashed without
/// holding their canonical form in memory.
private final class C14NSinkBox {
    let selection: NodeSetSelection
    let sink: (UnsafeRawBufferPointer) -> Void
    init(selection: NodeSetSelection, sink: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.selection = selection
        self.sink = sink
    }
}

private let typeOffset = MemoryLayout<xmlNode>.offset(of: \xmlNode.type)!
private let parentOffset = MemoryLayout<xmlNode>.offset(of: \xmlNode.parent)!

/// libxml2 hands attributes (`xmlAttr`) and namespace nodes (`xmlNs`) to the visibility callback
/// cast to `xmlNode*`. Both share `type` at the offset of `xmlNode.type`; `xmlAttr` shares
/// `parent` too; an `xmlNs` has no parent, so the callback's `parent` argument stands in.
private let visibilityCallback: xmlC14NIsVisibleCallback = { userData, node, parent in
    guard let userData, let node else { return 0 }
    let box = Unmanaged<C14NSinkBox>.fromOpaque(userData).takeUnretainedValue()
    let raw = UnsafeRawPointer(node)
    let type = raw.load(fromByteOffset: typeOffset, as: xmlElementType.self)
    var current: XMLNodePointer?
    if type == XML_NAMESPACE_DECL {
        current = parent
    } else if type == XML_ATTRIBUTE_NODE {
        current = raw.load(fromByteOffset: parentOffset, as: XMLNodePointer?.self)
    } else {
        current = node
    }
    let subtree = box.selection.subtree
    let excluded = box.selection.excluded
    while let c = current {
        if c == excluded { return 0 }
        if c == subtree { return 1 }
        current = c.pointee.parent
    }
    return subtree == nil ? 1 : 0
}

private let writeCallback: xmlOutputWriteCallback = { context, buffer, length in
    guard let context, let buffer, length > 0 else { return length }
    let box = Unmanaged<C14NSinkBox>.fromOpaque(context).takeUnretainedValue()
    box.sink(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
    return length
}

enum Canonicalizer {
    /// Canonicalizes the selected node-set of `tree` and streams the octets to `sink`.
    static func canonicalize(
        _ tree: XMLTree, selection: NodeSetSelection, algorithm: CanonicalizationAlgorithm,
        inclusivePrefixes: [String] = [], sink: @escaping (UnsafeRawBufferPointer) -> Void
    ) throws {
        let box = C14NSinkBox(selection: selection, sink: sink)
        let context = Unmanaged.passRetained(box)
        defer { context.release() }
        guard let output = xmlOutputBufferCreateIO(writeCallback, nil, context.toOpaque(), nil) else {
            throw XMLDSigError(.internalFailure, "libxml2 could not allocate an output buffer for canonicalization")
        }
        let needsCallback = selection.subtree != nil || selection.excluded != nil
        // The inclusive prefix list is a NULL-terminated array of C strings.
        var prefixes: [UnsafeMutablePointer<xmlChar>?] = inclusivePrefixes.map { prefix in
            let bytes = Array(prefix.utf8) + [0]
            let copy = UnsafeMutablePointer<xmlChar>.allocate(capacity: bytes.count)
            copy.initialize(from: bytes, count: bytes.count)
            return copy
        }
        prefixes.append(nil)
        defer { for p in prefixes { p?.deallocate() } }
        let result = prefixes.withUnsafeMutableBufferPointer { list -> Int32 in
            xmlC14NExecute(
                tree.doc, needsCallback ? visibilityCallback : nil, needsCallback ? context.toOpaque() : nil,
                algorithm.libxmlMode, inclusivePrefixes.isEmpty ? nil : list.baseAddress,
                algorithm.withComments ? 1 : 0, output)
        }
        let closed = xmlOutputBufferClose(output)
        if result < 0 || closed < 0 {
            throw XMLDSigError(
                .internalFailure,
                "libxml2 could not canonicalize \(tree.sourceName) with \(algorithm.uri)",
                hint: "the document may use a construct canonicalization does not define (for example a relative namespace URI)")
        }
    }

    /// Canonicalizes into a byte array.
    static func canonicalBytes(
        _ tree: XMLTree, selection: NodeSetSelection, algorithm: CanonicalizationAlgorithm, inclusivePrefixes: [String] = []
    ) throws -> [UInt8] {
        var out: [UInt8] = []
        try canonicalize(tree, selection: selection, algorithm: algorithm, inclusivePrefixes: inclusivePrefixes) {
            out.append(contentsOf: $0)
        }
        return out
    }
}
