/// Canonicalization and the SMEV transform as stand-alone operations on documents (for tools,
/// debugging and benchmarks); the signer and verifier use the same code.
public enum XMLCanonicalization {
    /// Parses `document` securely and returns the canonical form of the whole document
    /// (comments kept only with a `WithComments` method).
    public static func canonicalize(
        _ document: [UInt8], sourceName: String, algorithm: CanonicalizationAlgorithm = .exclusive,
        inclusivePrefixes: [String] = [], limits: XMLParsingLimits = XMLParsingLimits()
    ) throws -> [UInt8] {
        let tree = try XMLTree.parse(document, sourceName: sourceName, limits: limits)
        return try Canonicalizer.canonicalBytes(
            tree, selection: NodeSetSelection(), algorithm: algorithm, inclusivePrefixes: inclusivePrefixes)
    }

    /// Exclusive canonicalization followed by the SMEV 3 transform, as a SMEV reference computes it.
    public static func smevNormalize(_ document: [UInt8], sourceName: String, limits: XMLParsingLimits = XMLParsingLimits()) throws
        -> [UInt8]
    {
        let canonical = try canonicalize(document, sourceName: sourceName, algorithm: .exclusive, limits: limits)
        return try SMEVTransform.apply(canonical, sourceName: sourceName, limits: limits)
    }

    /// The digest of bytes with an XMLDSig digest algorithm (Streebog through the GOST engine).
    public static func digest(_ bytes: [UInt8], algorithm: DigestAlgorithm) throws -> [UInt8] {
        try DigestContext.digest(bytes, algorithm)
    }
}
