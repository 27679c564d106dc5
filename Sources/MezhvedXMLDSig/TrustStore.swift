internal import COpenSSL
import Foundation

/// Trust anchors (CA certificates from folders) and certificate revocation lists: the one owner
/// of an OpenSSL `X509_STORE`. Immutable once built; OpenSSL stores may be shared across threads.
public final class TrustStore: @unchecked Sendable {
    package let store: OpaquePointer
    /// The trusted CA certificates that were loaded.
    public let anchors: [Certificate]
    /// How many CRLs were loaded.
    public let crlCount: Int
    /// When every loaded CRL is current (after the latest thisUpdate, before the earliest
    /// nextUpdate): the moments at which a remembered path's revocation check still holds.
    private let crlsCurrent: ClosedRange<Date>
    /// Paths already validated, by leaf and intermediates (see ``validate(_:untrusted:at:)``).
    private let paths = ValidatedPathCache(capacity: 1024)

    deinit { X509_STORE_free(store) }

    /// Loads every certificate of every PEM/DER file in `directories` (`openssl rehash` links are
    /// followed and their duplicates skipped) and every CRL file in `crlFiles`.
    public init(directories: [String], crlFiles: [String] = []) throws {
        CryptoRuntime.ready()
        guard let store = X509_STORE_new() else {
            throw XMLDSigError(.internalFailure, "OpenSSL could not create a certificate store", openSSLErrors: drainOpenSSLErrors())
        }
        // Until every property is set, a throw would skip deinit: free the store here then.
        var complete = false
        defer { if !complete { X509_STORE_free(store) } }
        var anchors: [Certificate] = []
        var seen = Set<String>()
        // Files by resolved path: an `openssl rehash` folder names each certificate twice (the file
        // and its hash link), and decoding a certificate costs ~0.6 ms on OpenSSL 3.0.
        var readFiles = Set<String>()
        for directory in directories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw XMLDSigError(
                    .trustStoreUnusable, "the trust store \(directory) is not a folder",
                    hint: "give a folder of trusted CA certificates (PEM files)")
            }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            } catch {
                throw XMLDSigError(.trustStoreUnusable, "the trust store \(directory) cannot be listed", hint: "check its permissions")
            }
            for name in names where !name.hasPrefix(".") {
                let path = (directory as NSString).appendingPathComponent(name)
                var isSub: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isSub), !isSub.boolValue else { continue }
                let lower = name.lowercased()
                let hashLink = OpenSSLHashLink(name)
                guard
                    hashLink != nil || lower.hasSuffix(".pem") || lower.hasSuffix(".crt") || lower.hasSuffix(".cer")
                        || lower.hasSuffix(".der")
                else { continue }
                if hashLink == .crl { continue }
                guard readFiles.insert(resolvedPath(path)).inserted else { continue }
                let certificates: [Certificate]
                do {
                    certificates = try Certificate.load(contentsOf: path)
                } catch let error as XMLDSigError {
                    throw XMLDSigError(
                        .trustStoreUnusable, "the trust store file \(path) holds no readable certificate", hint: error.hint)
                }
                for certificate in certificates {
                    let fingerprint = certificate.sha256Fingerprint
                    guard seen.insert(fingerprint).inserted else { continue }
                    guard X509_STORE_add_cert(store, certificate.x509) == 1 else {
                        throw XMLDSigError(
                            .trustStoreUnusable, "the certificate in \(path) could not be added to the trust store",
                            openSSLErrors: drainOpenSSLErrors())
                    }
                    anchors.append(certificate)
                }
            }
        }
        var crls = 0
        var window = Date.distantPast...Date.distantFuture
        for path in crlFiles {
            let bytes = try readFile(path, what: "CRL file", limit: InputLimits.crl)
            try withMemoryBIO(bytes) { bio in
                var found = 0
                while let crl = PEM_read_bio_X509_CRL(bio, nil, nil, nil) {
                    defer { X509_CRL_free(crl) }
                    X509_STORE_add_crl(store, crl)
                    window = Self.narrowed(window, by: crl)
                    found += 1
                }
                _ = drainOpenSSLErrors()
                if found == 0 {
                    var pointer: UnsafePointer<UInt8>? = nil
                    let crl: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
                        pointer = buffer.baseAddress
                        return d2i_X509_CRL(nil, &pointer, buffer.count)
                    }
                    guard let crl else {
                        throw XMLDSigError(
                            .trustStoreUnusable, "\(path) is not a CRL (PEM or DER)", openSSLErrors: drainOpenSSLErrors())
                    }
                    X509_STORE_add_crl(store, crl)
                    window = Self.narrowed(window, by: crl)
                    X509_CRL_free(crl)
                    found = 1
                }
                crls += found
            }
        }
        if anchors.isEmpty {
            throw XMLDSigError(
                .trustStoreUnusable, "no CA certificate was found in \(directories.joined(separator: ", "))",
                hint: "give folders holding the trusted CA certificates as PEM files")
        }
        self.store = store
        self.anchors = anchors
        self.crlCount = crls
        self.crlsCurrent = window
        complete = true
    }

    /// `window` less the moments at which `crl` is not current (before its thisUpdate, after its
    /// nextUpdate). An unreadable time empties the window: nothing is remembered then.
    private static func narrowed(_ window: ClosedRange<Date>, by crl: OpaquePointer) -> ClosedRange<Date> {
        guard let thisUpdate = asn1Date(X509_CRL_get0_lastUpdate(crl)) else { return Date.distantFuture...Date.distantFuture }
        let nextUpdate = X509_CRL_get0_nextUpdate(crl).map { asn1Date($0) ?? .distantPast } ?? .distantFuture
        let lower = max(window.lowerBound, thisUpdate)
        let upper = min(window.upperBound, nextUpdate)
        return lower <= upper ? lower...upper : Date.distantFuture...Date.distantFuture
    }

    /// The result of building and checking a certificate path.
    package struct PathResult {
        package var chain: [Certificate]
        /// `nil` when the path is valid.
        package var failure: (code: Int32, depth: Int32, message: String)?
    }

    /// Builds a path from `leaf` through the `untrusted` intermediates to an anchor and checks
    /// signatures, validity at `time`, CA constraints and, when CRLs were given, revocation.
    ///
    /// A path that validated once is remembered: what OpenSSL checked of it — signatures, CA
    /// constraints, key usage, path length, and with CRLs that no certificate of it is listed —
    /// does not change with time (OpenSSL refuses a listed certificate whatever its revocation
    /// date, and the store's CRLs never change). What does change is checked again at `time` on
    /// every use: the validity periods of the path's certificates and, with CRLs, that every CRL
    /// is current then. Anything else, or a remembered path that fails those, goes through
    /// OpenSSL's full validation.
    package func validate(_ leaf: Certificate, untrusted: [Certificate], at time: Date) -> PathResult {
        let key = ([leaf.sha256Fingerprint] + untrusted.map(\.sha256Fingerprint).sorted()).joined(separator: ":")
        let crlsHold = crlCount == 0 || crlsCurrent.contains(time)
        if crlsHold, let chain = paths.lookup(key), chain.allSatisfy({ $0.notBefore <= time && time <= $0.notAfter }) {
            return PathResult(chain: chain, failure: nil)
        }
        let result = validateWithOpenSSL(leaf, untrusted: untrusted, at: time)
        if crlsHold, result.failure == nil, !result.chain.isEmpty { paths.store(key, result.chain) }
        return result
    }

    private func validateWithOpenSSL(_ leaf: Certificate, untrusted: [Certificate], at time: Date) -> PathResult {
        guard let context = X509_STORE_CTX_new() else {
            return PathResult(chain: [], failure: (-1, 0, "OpenSSL could not create a verification context"))
        }
        defer { X509_STORE_CTX_free(context) }
        let stack = OPENSSL_sk_new_null()
        defer { OPENSSL_sk_free(stack) }
        for certificate in untrusted { OPENSSL_sk_push(stack, UnsafeRawPointer(certificate.x509)) }
        guard X509_STORE_CTX_init(context, store, leaf.x509, stack) == 1 else {
            return PathResult(
                chain: [], failure: (-1, 0, "OpenSSL could not start path validation: \(drainOpenSSLErrors().joined(separator: "; "))"))
        }
        X509_STORE_CTX_set_time(context, 0, time_t(time.timeIntervalSince1970))
        if crlCount > 0 {
            X509_STORE_CTX_set_flags(context, UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL))
            X509_STORE_CTX_set_verify_cb(context, crlTolerantCallback)
        }
        let ok = X509_verify_cert(context) == 1
        var chain: [Certificate] = []
        if let built = X509_STORE_CTX_get0_chain(context) {
            for i in 0..<OPENSSL_sk_num(built) {
                if let raw = OPENSSL_sk_value(built, i) {
                    let x = OpaquePointer(raw)
                    // The path is made of the very objects given: reuse their Swift owners.
                    if let known = ([leaf] + untrusted + anchors).first(where: { $0.x509 == x }) {
                        chain.append(known)
                    } else {
                        X509_up_ref(x)
                        if let c = try? Certificate(owning: x) { chain.append(c) }
                    }
                }
            }
        }
        _ = drainOpenSSLErrors()
        if ok { return PathResult(chain: chain, failure: nil) }
        let code = X509_STORE_CTX_get_error(context)
        let depth = X509_STORE_CTX_get_error_depth(context)
        let message = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
        return PathResult(chain: chain, failure: (code, depth, message))
    }
}

/// With CRLs given, a missing CRL is an error for the signer's own certificate only; CA
/// certificates above it are checked when their issuer's CRL was given too.
private let crlTolerantCallback: X509_STORE_CTX_verify_cb = { ok, context in
    if ok == 0, let context, X509_STORE_CTX_get_error(context) == X509_V_ERR_UNABLE_TO_GET_CRL,
        X509_STORE_CTX_get_error_depth(context) > 0
    {
        return 1
    }
    return ok
}

/// A bounded, thread-safe memory of validated certificate paths.
private final class ValidatedPathCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: [Certificate]] = [:]
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ key: String) -> [Certificate]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]
    }

    func store(_ key: String, _ chain: [Certificate]) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = chain
    }
}

/// `path` with every symbolic link resolved (`realpath(3)`; Foundation's URL resolution costs
/// ~0.1 ms a file here), or `path` itself when it cannot be resolved.
private func resolvedPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// The kind of an OpenSSL `c_rehash` link name: eight lowercase hex digits, a dot, then a number
/// (a certificate) or `r` and a number (a CRL). Checked by hand rather than with a regular
/// expression, which on Linux compiles an ICU pattern on every start.
package enum OpenSSLHashLink: Equatable {
    case certificate, crl

    package init?(_ name: String) {
        let bytes = Array(name.utf8)
        guard bytes.count >= 10, bytes[8] == UInt8(ascii: "."),
            bytes[..<8].allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        var digits = bytes[9...]
        let isCRL = digits.first == UInt8(ascii: "r")
        if isCRL { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        self = isCRL ? .crl : .certificate
    }
}
