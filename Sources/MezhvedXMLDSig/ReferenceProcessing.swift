internal import CLibXML2
internal import CMezhvedShims

/// What a reference's URI selects.
struct ReferenceTarget {
    /// The element whose subtree is selected, or nil for the whole document.
    var element: XMLNodePointer?
    /// Whether comments belong to the node-set (only the XPointer forms keep them).
    var keepsComments: Bool
}

/// Runs a reference's transforms over its node-set and digests the result, as XMLDSig 1.1 §4.4.3
/// describes, streaming canonical octets into the digest when no later transform needs them.
enum ReferenceProcessor {
    struct Output {
        var digest: [UInt8]
        /// The exact octets that were digested (kept when asked for).
        var octets: [UInt8]?
    }

    static func digest(
        tree: XMLTree, target: ReferenceTarget, signature: XMLNodePointer?, transforms: [TransformAlgorithm],
        digest algorithm: DigestAlgorithm, limits: XMLParsingLimits, keepOctets: Bool,
        nodeSetCanonicalization: CanonicalizationAlgorithm = .c14n10
    ) throws -> Output {
        let context = try DigestContext(algorithm)
        var selection = NodeSetSelection(subtree: target.element, excluded: nil)
        var octets: [UInt8]? = nil  // nil while the data is still a node-set
        var kept: [UInt8]? = keepOctets ? [] : nil

        func emitFinal(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { context.update($0) }
            if keepOctets { kept = bytes }
        }

        for (index, transform) in transforms.enumerated() {
            let isLast = index == transforms.count - 1
            switch transform {
            case .envelopedSignature:
                guard octets == nil else {
                    throw XMLDSigError(.unsupportedAlgorithm, "the enveloped-signature transform must come before any canonicalization")
                }
                selection.excluded = signature
            case .canonicalization(let method, let prefixes):
                if let input = octets {
                    // Octets in: parse them and canonicalize the whole result.
                    let reparsed = try XMLTree.parse(input, sourceName: tree.sourceName, limits: limits)
                    octets = try Canonicalizer.canonicalBytes(
                        reparsed, selection: NodeSetSelection(), algorithm: method, inclusivePrefixes: prefixes)
                } else {
                    let effective = target.keepsComments ? method : method.withoutComments
                    if isLast {
                        let documentDigest = DocumentDigest(feeding: context, inputSize: tree.sourceByteCount)
                        var streamed: [UInt8] = []
                        try Canonicalizer.canonicalize(tree, selection: selection, algorithm: effective, inclusivePrefixes: prefixes) {
                            chunk in
                            documentDigest.update(chunk)
                            if keepOctets { streamed.append(contentsOf: chunk) }
                        }
                        return Output(digest: documentDigest.finish(), octets: keepOctets ? streamed : nil)
                    }
                    octets = try Canonicalizer.canonicalBytes(tree, selection: selection, algorithm: effective, inclusivePrefixes: prefixes)
                }
            case .smev:
                let input =
                    try octets
                    ?? Canonicalizer.canonicalBytes(
                        tree, selection: selection, algorithm: target.keepsComments ? .c14n10WithComments : .c14n10)
                octets = try SMEVTransform.apply(input, sourceName: tree.sourceName, limits: limits)
            }
        }
        if let octets {
            emitFinal(octets)
        } else {
            // A node-set left at the end is canonicalized with inclusive C14N 1.0 (an archive
            // timestamp's input: with the stamp's method).
            let method = target.keepsComments ? nodeSetCanonicalization.keepingComments : nodeSetCanonicalization.withoutComments
            emitFinal(try Canonicalizer.canonicalBytes(tree, selection: selection, algorithm: method))
        }
        return Output(digest: context.finish(), octets: kept)
    }
}

extension CanonicalizationAlgorithm {
    /// The same method with comments.
    var keepingComments: CanonicalizationAlgorithm {
        switch self {
        case .c14n10: return .c14n10WithComments
        case .c14n11: return .c14n11WithComments
        case .exclusive: return .exclusiveWithComments
        default: return self
        }
    }

    /// The same method without comments.
    var withoutComments: CanonicalizationAlgorithm {
        switch self {
        case .c14n10WithComments: return .c14n10
        case .c14n11WithComments: return .c14n11
        case .exclusiveWithComments: return .exclusive
        default: return self
        }
    }
}

/// Finds the elements carrying an Id-like attribute (`Id`, `ID`, `id`, in any namespace, which
/// covers `wsu:Id` and `xml:id`) with the given value.
func elementsWithID(_ value: String, in tree: XMLTree) -> [XMLNodePointer] {
    var found: [XMLNodePointer] = []
    tree.forEachElement { element in
        var property = element.pointee.properties
        while let p = property {
            if let name = p.pointee.name {
                let local = String(cString: name)
                if local == "Id" || local == "ID" || local == "id",
                    let raw = xmlNodeGetContent(UnsafeMutableRawPointer(p).assumingMemoryBound(to: xmlNode.self))
                {
                    let text = String(cString: raw)
                    mz_xml_free(raw)
                    if text == value {
                        found.append(element)
                        break
                    }
                }
            }
            property = p.pointee.next
        }
    }
    return found
}
