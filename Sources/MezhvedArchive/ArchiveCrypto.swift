internal import COpenSSL
import Foundation
import MezhvedXMLDSig

/// SHA-256, AES-256-GCM and random bytes through OpenSSL.
enum ArchiveCrypto {
    /// SHA-256 of `bytes`.
    static func sha256(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = EVP_Digest(bytes.baseAddress, bytes.count, &out, &length, EVP_sha256(), nil)
        return out
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { sha256($0) } }

    /// SHA-256 of `bytes` as lowercase hex.
    static func sha256Hex(_ bytes: [UInt8]) -> String { hexString(sha256(bytes)) }

    /// Cryptographically random bytes.
    static func randomBytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&out, Int32(count)) == 1 else {
            throw ArchiveError(.internalFailure, "OpenSSL could not produce random bytes", openSSLErrors: drainOpenSSLErrors())
        }
        return out
    }

    /// AES-256-GCM encryption as XML Encryption 1.1 lays it out: IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes).
    static func sealAES256GCM(_ plaintext: [UInt8], key: [UInt8]) throws -> [UInt8] {
        precondition(key.count == 32)
        let iv = try randomBytes(12)
        return try withCipherContext { context in
            guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, iv) == 1 else {
                throw ArchiveError(.internalFailure, "OpenSSL could not start AES-256-GCM", openSSLErrors: drainOpenSSLErrors())
            }
            var out = [UInt8](repeating: 0, count: plaintext.count + 16)
            var length: Int32 = 0
            guard EVP_EncryptUpdate(context, &out, &length, plaintext, Int32(plaintext.count)) == 1 else {
                throw ArchiveError(.internalFailure, "AES-256-GCM encryption failed", openSSLErrors: drainOpenSSLErrors())
            }
            var total = Int(length)
            var final: Int32 = 0
            let finished = out.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(context, $0.baseAddress! + total, &final) }
            guard finished == 1 else {
                throw ArchiveError(.internalFailure, "AES-256-GCM encryption failed", openSSLErrors: drainOpenSSLErrors())
            }
            total += Int(final)
            var tag = [UInt8](repeating: 0, count: 16)
            guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1 else {
                throw ArchiveError(.internalFailure, "AES-256-GCM gave no tag", openSSLErrors: drainOpenSSLErrors())
            }
            return iv + out.prefix(total) + tag
        }
    }

    /// Decrypts IV ‖ ciphertext ‖ tag; nil when the tag does not verify (wrong key or altered data).
    static func openAES256GCM(_ sealed: [UInt8], key: [UInt8]) throws -> [UInt8]? {
        precondition(key.count == 32)
        guard sealed.count >= 28 else { return nil }
        let iv = Array(sealed.prefix(12))
        let ciphertext = Array(sealed.dropFirst(12).dropLast(16))
        var tag = Array(sealed.suffix(16))
        return try withCipherContext { context in
            guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, iv) == 1 else {
                throw ArchiveError(.internalFailure, "OpenSSL could not start AES-256-GCM", openSSLErrors: drainOpenSSLErrors())
            }
            var out = [UInt8](repeating: 0, count: ciphertext.count + 16)
            var length: Int32 = 0
            guard EVP_DecryptUpdate(context, &out, &length, ciphertext, Int32(ciphertext.count)) == 1 else {
                _ = drainOpenSSLErrors()
                return nil
            }
            guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, 16, &tag) == 1 else {
                throw ArchiveError(.internalFailure, "OpenSSL refused the GCM tag", openSSLErrors: drainOpenSSLErrors())
            }
            var final: Int32 = 0
            let total = Int(length)
            let ok = out.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(context, $0.baseAddress! + total, &final) }
            guard ok == 1 else {
                _ = drainOpenSSLErrors()
                return nil
            }
            return Array(out.prefix(total + Int(final)))
        }
    }

    /// Runs `body` with a fresh cipher context, freed afterwards.
    private static func withCipherContext<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        guard let context = EVP_CIPHER_CTX_new() else {
            throw ArchiveError(.internalFailure, "OpenSSL could not allocate a cipher context", openSSLErrors: drainOpenSSLErrors())
        }
        defer { EVP_CIPHER_CTX_free(context) }
        return try body(context)
    }
}

/// The digest the archive names documents and objects by.
public enum ArchiveDigest {
    /// SHA-256 of `bytes`, lowercase hex.
    public static func sha256Hex(_ bytes: [UInt8]) -> String { ArchiveCrypto.sha256Hex(bytes) }
    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { ArchiveCrypto.sha256($0) } }
}
