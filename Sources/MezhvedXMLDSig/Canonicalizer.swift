internal import CLibXML2
internal import CMezhvedShims
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
private let privateOffset = MemoryLayout<xmlNode>.offset(of: \xmlNode._private)!

/// Marks stored in the `_private` field of the nodes of a selected (1) or excluded (2) subtree for
/// the length of one canonicalization: the visibility callback then decides in constant time.
private let selectedMark = 1
private let excludedMark = 2

/// libxml2 hands attributes (`xmlAttr`) and namespace nodes (`xmlNs`) to the visibility callback
/// cast to `xmlNode*`. `xmlAttr` shares `_private` and `type` with `xmlNode`; an `xmlNs` has no
/// `_private` (only `type` at the same offset), so its element, the callback's `parent`, stands in.
private let visibilityCallback: xmlC14NIsVisibleCallback = { userData, node, parent in
    guard let userData, let node else { return 0 }
    let box = Unmanaged<C14NSinkBox>.fromOpaque(userData).takeUnretainedValue()
    let raw = UnsafeRawPointer(node)
    let type = raw.load(fromByteOffset: typeOffset, as: xmlElementType.self)
    let marks: Int
    if type == XML_NAMESPACE_DECL {
        marks = parent.map { Int(bitPattern: $0.pointee._private) } ?? 0
    } else {
        marks = Int(bitPattern: raw.load(fromByteOffset: privateOffset, as: UnsafeMutableRawPointer?.self))
    }
    if marks & excludedMark != 0 { return 0 }
    if box.selection.subtree != nil && marks & selectedMark == 0 { return 0 }
    return 1
}

/// Sets (or clears, with 0) `mark` on every node of the subtree at `top`, attributes included.
private func mark(_ top: XMLNodePointer, _ bits: Int) {
    var stack: [XMLNodePointer] = [top]
    while let node = stack.popLast() {
        let current = Int(bitPattern: node.pointee._private)
        node.pointee._private = UnsafeMutableRawPointer(bitPattern: bits == 0 ? 0 : current | bits)
        if node.pointee.type == XML_ELEMENT_NODE {
            var attribute = node.pointee.properties
            while let a = attribute {
                let attributeMarks = Int(bitPattern: a.pointee._private)
                a.pointee._private = UnsafeMutableRawPointer(bitPattern: bits == 0 ? 0 : attributeMarks | bits)
                attribute = a.pointee.next
            }
        }
        var child = node.pointee.children
        while let c = child {
            stack.append(c)
            child = c.pointee.next
        }
    }
}

private let writeCallback: xmlOutputWriteCallback = { context, buffer, length in
    guard let context, let buffer, length > 0 else { return length }
    let box = Unmanaged<C14NSinkBox>.fromOpaque(context).takeUnretainedValue()
    box.sink(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
    return length
}

private let fastSink: mz_c14n_sink = { context, bytes, length in
    guard let context, let bytes, length > 0 else { return }
    let box = Unmanaged<C14NSinkBox>.fromOpaque(context).takeUnretainedValue()
    box.sink(UnsafeRawBufferPointer(start: bytes, count: length))
}

enum Canonicalizer {
    /// Which implementation writes the octets.
    enum Engine {
        /// mezhved's own walk for exclusive canonicalization where it applies (it writes the same
        /// octets as libxml2, several times faster), libxml2's `xmlC14NExecute` otherwise.
        case fastest
        /// libxml2's `xmlC14NExecute` only: the reference the tests compare the walk with.
        case libxml2
    }

    /// Canonicalizes the selected node-set of `tree` and streams the octets to `sink`.
    static func canonicalize(
        _ tree: XMLTree, selection: NodeSetSelection, algorithm: CanonicalizationAlgorithm,
        inclusivePrefixes: [String] = [], engine: Engine = .fastest, sink: @escaping (UnsafeRawBufferPointer) -> Void
    ) throws {
        let box = C14NSinkBox(selection: selection, sink: sink)
        let context = Unmanaged.passRetained(box)
        defer { context.release() }
        if engine == .fastest, algorithm == .exclusive || algorithm == .exclusiveWithComments {
            let result = withCStringArray(inclusivePrefixes) { prefixes in
                mz_exclusive_c14n(
                    tree.doc, selection.subtree, selection.excluded, prefixes, algorithm.withComments ? 1 : 0, fastSink,
                    context.toOpaque())
            }
            switch result {
            case Int32(MZ_C14N_DONE): return
            case Int32(MZ_C14N_UNSUPPORTED): break  // libxml2 below decides, and writes or refuses
            default:
                throw XMLDSigError(.internalFailure, "out of memory canonicalizing \(tree.sourceName)")
            }
        }
        guard let output = xmlOutputBufferCreateIO(writeCallback, nil, context.toOpaque(), nil) else {
            throw XMLDSigError(.internalFailure, "libxml2 could not allocate an output buffer for canonicalization")
        }
        // The whole document less one subtree (an enveloped signature): take the subtree out for the
        // moment, so that libxml2 runs without a callback, and put it back where it was.
        var detached: (node: XMLNodePointer, parent: XMLNodePointer?, next: XMLNodePointer?)?
        if selection.subtree == nil, let excluded = selection.excluded {
            detached = (excluded, excluded.pointee.parent, excluded.pointee.next)
            xmlUnlinkNode(excluded)
        }
        defer {
            if let detached {
                if let next = detached.next {
                    xmlAddPrevSibling(next, detached.node)
                } else if let parent = detached.parent {
                    xmlAddChild(parent, detached.node)
                }
            }
        }
        let needsCallback = detached == nil && (selection.subtree != nil || selection.excluded != nil)
        if needsCallback {
            if let subtree = selection.subtree { mark(subtree, selectedMark) }
            if let excluded = selection.excluded { mark(excluded, excludedMark) }
        }
        defer {
            if needsCallback {
                if let subtree = selection.subtree { mark(subtree, 0) }
                if let excluded = selection.excluded { mark(excluded, 0) }
            }
        }
        func execute(_ prefixes: UnsafeMutablePointer<UnsafeMutablePointer<xmlChar>?>?) -> Int32 {
            xmlC14NExecute(
                tree.doc, needsCallback ? visibilityCallback : nil, needsCallback ? context.toOpaque() : nil,
                algorithm.libxmlMode, prefixes, algorithm.withComments ? 1 : 0, output)
        }
        let result = withCStringArray(inclusivePrefixes) { list in
            // libxml2 takes the list as mutable xmlChar pointers; it only reads it.
            guard let list else { return execute(nil) }
            return UnsafeMutablePointer(mutating: list).withMemoryRebound(
                to: UnsafeMutablePointer<xmlChar>?.self, capacity: inclusivePrefixes.count + 1, execute)
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
        _ tree: XMLTree, selection: NodeSetSelection, algorithm: CanonicalizationAlgorithm, inclusivePrefixes: [String] = [],
        engine: Engine = .fastest
    ) throws -> [UInt8] {
        var out: [UInt8] = []
        try canonicalize(tree, selection: selection, algorithm: algorithm, inclusivePrefixes: inclusivePrefixes, engine: engine) {
            out.append(contentsOf: $0)
        }
        return out
    }
}

/// Calls `body` with `strings` as a NULL-terminated array of C strings (an InclusiveNamespaces
/// prefix list, for libxml2 or the walk), or with nil when there are none; valid during the call.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    guard !strings.isEmpty else { return body(nil) }
    var copies: [UnsafePointer<CChar>?] = strings.map { UnsafePointer(strdup($0)) }
    defer { for copy in copies { free(UnsafeMutablePointer(mutating: copy)) } }
    copies.append(nil)
    return copies.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// What a streaming canonicalization learnt of the document on the way.
struct StreamedDocument: Equatable {
    /// The document element's name as written (`prefix:local` or `local`).
    var rootQualifiedName: String
    /// The element selected by Id is the document element.
    var targetIsRoot: Bool
    /// An element already carries the Id reserved for the new signature.
    var reservedIDSeen: Bool
    /// With `envelopedSignature`: the one `ds:Signature` element's bytes, inside a wrapper element
    /// that declares the namespaces in scope where it stands.
    var signatureDocument: [UInt8]? = nil
}

/// Why a document went to the tree path instead (`mz_stream_c14n_result.reason`).
struct StreamingRefusal: Error, Equatable {
    var reason: Int32
}

extension Canonicalizer {
    /// Exclusive canonicalization of `document` while it is parsed, without a tree: the whole
    /// document, or the one element whose `Id`/`ID`/`id` is `targetID`. The octets are those the
    /// tree path writes for the same node-set. Returns the refusal when the tree path must decide
    /// (a malformed or hostile document, a limit, an existing signature, a missing or repeated
    /// Id, a relative namespace URI, an encoding other than UTF-8); the octets given to `sink`
    /// are then void. `refuseSigned` stops at a `ds:Signature` (a document about to be signed has none).
    /// `envelopedSignature` (whole document only) leaves out the one `ds:Signature` and hands its
    /// bytes back, for verification; a document with none or several, a repeated Id, a comment inside
    /// the document element or a signature context that cannot be re-created exactly is refused.
    static func canonicalizeStreaming(
        _ document: [UInt8], targetID: String?, reservedID: String?, inclusivePrefixes: [String] = [], withComments: Bool,
        refuseSigned: Bool = true, envelopedSignature: Bool = false, limits: XMLParsingLimits,
        sink: @escaping (UnsafeRawBufferPointer) -> Void
    ) -> Result<StreamedDocument, StreamingRefusal> {
        CryptoRuntime.ready()
        guard !document.isEmpty, document.count <= limits.maxBytes, document.count < Int(Int32.max) else {
            return .failure(StreamingRefusal(reason: Int32(MZ_STREAM_LIMIT_EXCEEDED)))
        }
        let box = C14NSinkBox(selection: NodeSetSelection(), sink: sink)
        let context = Unmanaged.passRetained(box)
        defer { context.release() }
        var result = mz_stream_c14n_result()
        let status = withOptionalCString(targetID) { target in
            withOptionalCString(reservedID) { reserved in
                withCStringArray(inclusivePrefixes) { prefixes in
                    var options = mz_stream_c14n_options(
                        target_id: target, reserved_id: reserved, inclusive_prefixes: prefixes,
                        with_comments: withComments ? 1 : 0, refuse_signed: refuseSigned ? 1 : 0,
                        enveloped_signature: envelopedSignature ? 1 : 0,
                        max_depth: Int32(clamping: limits.maxDepth),
                        max_attributes: Int32(clamping: limits.maxAttributesPerElement))
                    return document.withUnsafeBufferPointer { buffer in
                        buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                            mz_stream_exclusive_c14n(chars, Int32(buffer.count), &options, fastSink, context.toOpaque(), &result)
                        }
                    }
                }
            }
        }
        defer { mz_stream_c14n_result_clear(&result) }
        guard status == Int32(MZ_STREAM_DONE), let name = result.root_name else {
            return .failure(StreamingRefusal(reason: result.reason))
        }
        let local = String(cString: name)
        return .success(
            StreamedDocument(
                rootQualifiedName: result.root_prefix.map { String(cString: $0) + ":" + local } ?? local,
                targetIsRoot: result.target_is_root != 0, reservedIDSeen: result.reserved_id_seen != 0,
                signatureDocument: result.signature_document.map { bytes in
                    bytes.withMemoryRebound(to: UInt8.self, capacity: result.signature_document_size) {
                        Array(UnsafeBufferPointer(start: $0, count: result.signature_document_size))
                    }
                }))
    }

    /// The streaming canonicalization into a byte array (for the tests that compare it with the tree).
    static func streamedBytes(
        _ document: [UInt8], targetID: String?, inclusivePrefixes: [String] = [], withComments: Bool, refuseSigned: Bool = false,
        limits: XMLParsingLimits = XMLParsingLimits()
    ) -> Result<[UInt8], StreamingRefusal> {
        var out: [UInt8] = []
        return Canonicalizer.canonicalizeStreaming(
            document, targetID: targetID, reservedID: nil, inclusivePrefixes: inclusivePrefixes, withComments: withComments,
            refuseSigned: refuseSigned, limits: limits
        ) { out.append(contentsOf: $0) }.map { _ in out }
    }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
