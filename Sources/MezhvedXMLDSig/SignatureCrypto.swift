internal import COpenSSL
import Foundation

/// A running message digest: owns an `EVP_MD_CTX`.
package final class DigestContext {
    private let context: OpaquePointer

    package init(_ algorithm: DigestAlgorithm) throws {
        CryptoRuntime.ready()
        if algorithm.isGOST { try CryptoRuntime.requireGOST(for: "the digest \(algorithm.displayName)") }
        guard let md = messageDigest(algorithm) else {
            throw XMLDSigError(
                .unsupportedAlgorithm, "OpenSSL does not offer the digest \(algorithm.displayName)", openSSLErrors: drainOpenSSLErrors())
        }
        guard let context = EVP_MD_CTX_new() else {
            throw XMLDSigError(.internalFailure, "OpenSSL could not allocate a digest context", openSSLErrors: drainOpenSSLErrors())
        }
        self.context = context
        guard EVP_DigestInit_ex(context, md, nil) == 1 else {
            throw XMLDSigError(
                .internalFailure, "OpenSSL could not start the digest \(algorithm.displayName)", openSSLErrors: drainOpenSSLErrors())
        }
    }

    deinit { EVP_MD_CTX_free(context) }

    package func update(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > 0 { EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) }
    }

    package func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return Array(out.prefix(Int(length)))
    }

    package static func digest(_ bytes: [UInt8], _ algorithm: DigestAlgorithm) throws -> [UInt8] {
        let context = try DigestContext(algorithm)
        bytes.withUnsafeBytes { context.update($0) }
        return context.finish()
    }
}

/// The digest of a document's canonical octets, fed as the canonicalization writes them. A large
/// document (``threshold`` bytes or more) is hashed on a thread of its own: the canonicalization
/// hands over 256 KiB chunks, at most eight in flight, and goes on while the previous ones are
/// hashed, so that parsing and canonicalizing overlap with the hashing (Streebog runs at ~100 MB/s)
/// on two cores. A small one is hashed in place, where the hand-over would cost more than it saves.
/// `update` and `finish` are called from one thread at a time; when pipelined, the context is only
/// touched on the serial queue.
final class DocumentDigest: @unchecked Sendable {
    static let threshold = 1 << 20
    static let chunkSize = 1 << 18
    private let context: DigestContext
    private let queue: DispatchQueue?
    private let slots = DispatchSemaphore(value: 8)
    private var pending: [UInt8] = []

    /// Feeds `context`, on a thread of its own when `inputSize` (the document's bytes) is large.
    init(feeding context: DigestContext, inputSize: Int) {
        self.context = context
        if inputSize >= Self.threshold {
            queue = DispatchQueue(label: "mezhved.document-digest")
            pending.reserveCapacity(Self.chunkSize)
        } else {
            queue = nil
        }
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard queue != nil else {
            context.update(bytes)
            return
        }
        pending.append(contentsOf: bytes)
        if pending.count >= Self.chunkSize { handOver() }
    }

    private func handOver() {
        let chunk = pending
        pending = []
        pending.reserveCapacity(Self.chunkSize)
        slots.wait()
        queue?.async {
            chunk.withUnsafeBytes { self.context.update($0) }
            self.slots.signal()
        }
    }

    /// Waits for the chunks in flight and returns the digest.
    func finish() -> [UInt8] {
        guard let queue else { return context.finish() }
        if !pending.isEmpty { handOver() }
        return queue.sync { context.finish() }
    }
}

/// The OpenSSL digest for an algorithm. SHA-2 come from the default provider, Streebog from the
/// GOST engine (found by name once the engine is the default for digests).
func messageDigest(_ algorithm: DigestAlgorithm) -> OpaquePointer? {
    switch algorithm {
    case .sha256: return FetchedDigests.sha256 ?? EVP_sha256()
    case .sha384: return FetchedDigests.sha384 ?? EVP_sha384()
    case .sha512: return FetchedDigests.sha512 ?? EVP_sha512()
    case .sha1: return EVP_sha1()
    case .md5: return EVP_md5()
    case .streebog256, .streebog512: return EVP_get_digestbyname(algorithm.openSSLName)
    }
}

/// SHA-2 implementations fetched once from the default provider: OpenSSL 3 otherwise fetches
/// one on every digest or signature initialisation. Kept for the life of the process.
enum FetchedDigests {
    nonisolated(unsafe) static let sha256 = EVP_MD_fetch(nil, "SHA256", nil)
    nonisolated(unsafe) static let sha384 = EVP_MD_fetch(nil, "SHA384", nil)
    nonisolated(unsafe) static let sha512 = EVP_MD_fetch(nil, "SHA512", nil)
}

/// Raw signature operations. The XMLDSig `SignatureValue` encodings:
/// - RSA: the PKCS#1 v1.5 signature block, as OpenSSL produces it;
/// - ECDSA: `r || s`, each big-endian and padded to the curve size (RFC 4050 / RFC 6931), converted
///   from and to OpenSSL's DER `ECDSA-Sig-Value`;
/// - GOST R 34.10-2012: `s || r`, each big-endian and padded to 32 (256-bit) or 64 (512-bit) bytes,
///   which is exactly what OpenSSL's GOST engine produces and takes (RFC 4491 §2.2.2 order,
///   the order the cpxmlsec profile and SMEV use); see docs/gost-byte-order.md.
enum SignatureCrypto {
    static func sign(_ data: [UInt8], key: SigningKey, algorithm: SignatureAlgorithm) throws -> [UInt8] {
        if algorithm.keyFamily == .gost2012_256 || algorithm.keyFamily == .gost2012_512 {
            try CryptoRuntime.requireGOST(for: "signing with \(algorithm.displayName)")
        }
        guard let md = messageDigest(algorithm.digest) else {
            throw XMLDSigError(
                .unsupportedAlgorithm, "OpenSSL does not offer \(algorithm.digest.displayName)", openSSLErrors: drainOpenSSLErrors())
        }
        guard let context = EVP_MD_CTX_new() else {
            throw XMLDSigError(.internalFailure, "OpenSSL could not allocate a signing context", openSSLErrors: drainOpenSSLErrors())
        }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, md, nil, key.pkey) == 1 else {
            throw XMLDSigError(.keyUnusable, "the key cannot sign with \(algorithm.displayName)", openSSLErrors: drainOpenSSLErrors())
        }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, data, data.count) == 1 else {
            throw XMLDSigError(.internalFailure, "OpenSSL could not size the signature", openSSLErrors: drainOpenSSLErrors())
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, data, data.count) == 1 else {
            throw XMLDSigError(
                .internalFailure, "OpenSSL could not sign with \(algorithm.displayName)", openSSLErrors: drainOpenSSLErrors())
        }
        signature.removeLast(signature.count - length)
        if key.family == .ecdsa {
            return try ecdsaDERToRaw(signature, fieldBytes: (key.bits + 7) / 8)
        }
        return signature
    }

    /// Checks `signature` over `data` with `publicKey` (an `EVP_PKEY`). Returns false on any
    /// mismatch or malformed signature.
    static func verify(_ data: [UInt8], signature: [UInt8], publicKey: OpaquePointer, algorithm: SignatureAlgorithm) -> Bool {
        guard let md = messageDigest(algorithm.digest), let context = EVP_MD_CTX_new() else {
            _ = drainOpenSSLErrors()
            return false
        }
        defer { EVP_MD_CTX_free(context) }
        var encoded = signature
        if algorithm.keyFamily == .ecdsa {
            let fieldBytes = (Int(EVP_PKEY_get_bits(publicKey)) + 7) / 8
            guard signature.count == 2 * fieldBytes, let der = ecdsaRawToDER(signature) else { return false }
            encoded = der
        }
        guard EVP_DigestVerifyInit(context, nil, md, nil, publicKey) == 1 else {
            _ = drainOpenSSLErrors()
            return false
        }
        let result = EVP_DigestVerify(context, encoded, encoded.count, data, data.count)
        _ = drainOpenSSLErrors()
        return result == 1
    }

    static func ecdsaDERToRaw(_ der: [UInt8], fieldBytes: Int) throws -> [UInt8] {
        var pointer: UnsafePointer<UInt8>? = nil
        let sig: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            pointer = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &pointer, buffer.count)
        }
        guard let sig else {
            throw XMLDSigError(.internalFailure, "OpenSSL returned an unreadable ECDSA signature", openSSLErrors: drainOpenSSLErrors())
        }
        defer { ECDSA_SIG_free(sig) }
        var r: OpaquePointer? = nil
        var s: OpaquePointer? = nil
        ECDSA_SIG_get0(sig, &r, &s)
        var out = [UInt8](repeating: 0, count: 2 * fieldBytes)
        out.withUnsafeMutableBufferPointer { buffer in
            _ = BN_bn2binpad(r, buffer.baseAddress, Int32(fieldBytes))
            _ = BN_bn2binpad(s, buffer.baseAddress! + fieldBytes, Int32(fieldBytes))
        }
        return out
    }

    static func ecdsaRawToDER(_ raw: [UInt8]) -> [UInt8]? {
        let half = raw.count / 2
        guard half > 0, let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        let r = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32(half), nil) }
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + half, Int32(half), nil) }
        guard let r, let s, ECDSA_SIG_set0(sig, r, s) == 1 else { return nil }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_ECDSA_SIG(sig, &buffer)
        guard length > 0, let buffer else { return nil }
        defer { CRYPTO_free(buffer, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
    }
}

package enum Base64 {
    package static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// Decodes base64 that may be wrapped with XML whitespace; anything else is refused.
    package static func decode(_ text: String) -> [UInt8]? {
        var compact = [UInt8]()
        compact.reserveCapacity(text.utf8.count)
        for byte in text.utf8 where !(byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09) { compact.append(byte) }
        guard let data = Data(base64Encoded: Data(compact)) else { return nil }
        return [UInt8](data)
    }
}

/// Lowercase hexadecimal, without Foundation's slow `String(format:)`.
package func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
