internal import CMezhvedShims
internal import COpenSSL
import Foundation
import MezhvedCore

/// A private signing key: the one owner of an OpenSSL `EVP_PKEY`, freed in `deinit`.
/// OpenSSL keys may be used from several threads at once for signing (each operation has its own
/// context), hence `@unchecked Sendable`.
public final class SigningKey: @unchecked Sendable {
    let pkey: OpaquePointer
    /// The key's family (GOST 256/512, RSA, ECDSA).
    public let family: KeyFamily
    /// The key size in bits (the curve size for EC and GOST keys).
    public let bits: Int

    init(owning pkey: OpaquePointer, source: String) throws {
        self.pkey = pkey
        guard let family = keyFamily(of: pkey) else {
            let id = EVP_PKEY_get_base_id(pkey)
            let name = OBJ_nid2sn(id).map { String(cString: $0) } ?? "NID \(id)"
            EVP_PKEY_free(pkey)
            throw XMLDSigError(
                .keyUnusable, "\(source) holds a \(name) key; mezhved signs with GOST R 34.10-2012, RSA or ECDSA keys")
        }
        self.family = family
        self.bits = Int(EVP_PKEY_get_bits(pkey))
    }

    deinit { EVP_PKEY_free(pkey) }

    /// Loads a PEM private key (PKCS#8, traditional RSA/EC, or encrypted PKCS#8 with `passphrase`).
    /// - Parameter source: how to name the key in messages (its path).
    public static func load(pem: [UInt8], passphrase: [UInt8]? = nil, source: String) throws -> SigningKey {
        CryptoRuntime.ready()
        let text = String(decoding: pem, as: UTF8.self)
        if text.contains("GOST") || text.contains("1.2.643") { try CryptoRuntime.requireGOST(for: "the key \(source)") }
        let encrypted = text.contains("ENCRYPTED")
        if encrypted && passphrase == nil {
            throw XMLDSigError(
                .keyUnusable, "the key \(source) is encrypted and no passphrase was given",
                hint: "give the passphrase through an environment variable or a file (see `mezhved sign --help`)")
        }
        if !encrypted, let key = try decodePKCS8(pem) { return try SigningKey(owning: key, source: source) }
        var pass = (passphrase ?? []) + [0]
        let key: OpaquePointer? = try withMemoryBIO(pem) { bio in
            pass.withUnsafeMutableBytes { raw in
                // With no callback, OpenSSL takes `u` as the NUL-terminated passphrase.
                PEM_read_bio_PrivateKey(bio, nil, nil, passphrase == nil ? nil : raw.baseAddress)
            }
        }
        for i in pass.indices { pass[i] = 0 }
        guard let key else {
            let errors = drainOpenSSLErrors()
            if encrypted {
                throw XMLDSigError(
                    .keyUnusable, "the key \(source) could not be decrypted", hint: "check the passphrase", openSSLErrors: errors)
            }
            let looksGOST = errors.contains { $0.contains("unsupported") }
            throw XMLDSigError(
                .keyUnusable, "\(source) is not a readable PEM private key",
                hint: looksGOST && !CryptoRuntime.gostAvailable
                    ? "it may be a GOST key: install libengine-gost-openssl"
                    : "give a PEM (PKCS#8 or traditional) private key file", openSSLErrors: errors)
        }
        return try SigningKey(owning: key, source: source)
    }

    /// An unencrypted PKCS#8 key (`BEGIN PRIVATE KEY`) decoded straight from its DER: OpenSSL 3.0's
    /// generic `PEM_read_bio_PrivateKey` first builds a decoder chain over every provider's key
    /// types, which costs a GOST key ~2 ms of each `mezhved sign`. Nil (errors dropped) when the
    /// file holds no such block or it does not decode: the generic reader then decides and explains.
    private static func decodePKCS8(_ pem: [UInt8]) throws -> OpaquePointer? {
        let key: OpaquePointer? = try withMemoryBIO(pem) { bio -> OpaquePointer? in
            var der: UnsafeMutablePointer<UInt8>?
            var length = 0
            guard PEM_bytes_read_bio(&der, &length, nil, "PRIVATE KEY", bio, nil, nil) == 1, let der else { return nil }
            defer {
                OPENSSL_cleanse(der, length)
                CRYPTO_free(der, #fileID, #line)
            }
            var cursor: UnsafePointer<UInt8>? = UnsafePointer(der)
            guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, length) else { return nil }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            return EVP_PKCS82PKEY(info)
        }
        if key == nil { _ = drainOpenSSLErrors() }
        return key
    }

    /// Loads a PEM private key from a file.
    public static func load(contentsOf path: String, passphrase: [UInt8]? = nil) throws -> SigningKey {
        try load(pem: readFile(path, what: "key file", limit: InputLimits.keyMaterial), passphrase: passphrase, source: path)
    }

    /// Whether `certificate` holds this key's public half.
    public func matches(_ certificate: Certificate) -> Bool {
        let result = X509_check_private_key(certificate.x509, pkey) == 1
        _ = drainOpenSSLErrors()
        return result
    }
}

func keyFamily(of pkey: OpaquePointer) -> KeyFamily? {
    switch EVP_PKEY_get_base_id(pkey) {
    case EVP_PKEY_RSA: return .rsa
    case EVP_PKEY_EC: return .ecdsa
    case NID_id_GostR3410_2012_256: return .gost2012_256
    case NID_id_GostR3410_2012_512: return .gost2012_512
    default: return nil
    }
}

/// The largest file of each kind read: a document as large as the parser takes, key material and
/// CRLs far above any real one.
package enum InputLimits {
    /// Documents: the parser's limit (128 MiB).
    package static let document = XMLParsingLimits().maxBytes
    /// Key files, certificate files, passphrase files.
    package static let keyMaterial = 1 << 20
    /// CRL files (a large CA's CRL runs to tens of megabytes).
    package static let crl = 256 << 20
}

/// Reads a whole file (or device, or pipe), at most `limit` bytes, turning every failure into a
/// clear error naming the input and its kind.
package func readFile(_ path: String, what: String, limit: Int = InputLimits.document) throws -> [UInt8] {
    switch BoundedRead.contents(of: path, limit: limit) {
    case .success(let bytes): return bytes
    case .failure(.missing): throw XMLDSigError(.unreadableInput, "the \(what) \(path) does not exist", hint: "check the path")
    case .failure(.folder): throw XMLDSigError(.unreadableInput, "the \(what) \(path) is a folder, not a file", hint: "give a file")
    case .failure(.unreadable(let reason)):
        throw XMLDSigError(.unreadableInput, "the \(what) \(path) cannot be read: \(reason)", hint: "check its permissions")
    case .failure(.tooLarge(let limit)):
        throw XMLDSigError(
            .limitExceeded, "the \(what) \(path) is larger than \(ByteCountText.text(limit)), the most mezhved reads as a \(what)",
            hint: "check that it is the right file")
    }
}

extension SigningKey {
    /// Signs raw bytes (not XML) with `algorithm` (by default the one that follows the key), in the
    /// XMLDSig `SignatureValue` encoding: `s || r` for GOST, `r || s` for ECDSA, PKCS#1 v1.5 for RSA.
    public func sign(_ data: [UInt8], algorithm: SignatureAlgorithm? = nil) throws -> [UInt8] {
        let algorithm = algorithm ?? SignatureAlgorithm.default(for: family, bits: bits)
        guard algorithm.keyFamily == family else {
            throw XMLDSigError(.unsupportedAlgorithm, "\(algorithm.displayName) cannot be used with a \(family.rawValue) key")
        }
        return try SignatureCrypto.sign(data, key: self, algorithm: algorithm)
    }
}

extension Certificate {
    /// Checks a raw signature (XMLDSig `SignatureValue` encoding) over `data` with this
    /// certificate's public key. Says nothing about trust in the certificate.
    public func verifySignature(_ signature: [UInt8], over data: [UInt8], algorithm: SignatureAlgorithm) -> Bool {
        guard keyFamily == algorithm.keyFamily, let key = X509_get0_pubkey(x509) else {
            _ = drainOpenSSLErrors()
            return false
        }
        return SignatureCrypto.verify(data, signature: signature, publicKey: key, algorithm: algorithm)
    }
}
