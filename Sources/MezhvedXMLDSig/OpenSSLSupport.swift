internal import CLibXML2
internal import CMezhvedShims
internal import COpenSSL

/// Empties this thread's OpenSSL error queue into Swift strings (oldest first). Call it at the throw
/// site, before any suspension point: the queue is per thread.
package func drainOpenSSLErrors() -> [String] {
    var errors: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        errors.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return errors
}

/// One-time initialisation of OpenSSL (with the GOST engine) and libxml2 (with the deny-all entity
/// loader). Every entry point of the module reaches it through ``CryptoRuntime/ready()``.
package enum CryptoRuntime {
    /// `nil` when the GOST engine loaded; otherwise why it did not.
    private static let gostFailure: String? = {
        mz_xml_global_init()
        OPENSSL_init_crypto(UInt64(OPENSSL_INIT_LOAD_CRYPTO_STRINGS), nil)
        var message = [CChar](repeating: 0, count: 512)
        let loaded = mz_gost_engine_load(&message, message.count)
        if loaded == 1 { return nil }
        return String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// Makes sure the libraries are initialised.
    package static func ready() { _ = gostFailure }

    /// Whether OpenSSL's GOST engine is loaded.
    package static var gostAvailable: Bool { gostFailure == nil }

    /// Throws a clear error when GOST is needed and the engine is missing.
    package static func requireGOST(for what: String) throws {
        if let gostFailure {
            throw XMLDSigError(.gostUnavailable, "\(what) needs GOST R 34.10-2012, but \(gostFailure)")
        }
    }
}

/// Runs `body` with a fresh memory BIO holding `bytes`, freeing it afterwards.
package func withMemoryBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> T) throws -> T {
    guard let bio = bytes.withUnsafeBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else {
        throw XMLDSigError(.internalFailure, "OpenSSL could not allocate a memory buffer", openSSLErrors: drainOpenSSLErrors())
    }
    defer { BIO_free(bio) }
    return try body(bio)
}

/// Runs `body` with an empty writable memory BIO and returns what it wrote.
package func collectingMemoryBIO(_ body: (OpaquePointer) throws -> Void) throws -> [UInt8] {
    guard let bio = BIO_new(BIO_s_mem()) else {
        throw XMLDSigError(.internalFailure, "OpenSSL could not allocate a memory buffer", openSSLErrors: drainOpenSSLErrors())
    }
    defer { BIO_free(bio) }
    try body(bio)
    var data: UnsafeMutablePointer<CChar>?
    let length = mz_bio_mem_data(bio, &data)
    guard length > 0, let data else { return [] }
    return Array(UnsafeRawBufferPointer(start: data, count: length))
}

/// Compares two byte strings in time that does not depend on where they differ.
package func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 } }
}
