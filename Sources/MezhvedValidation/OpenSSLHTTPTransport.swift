internal import CMezhvedShims
internal import COpenSSL
import Foundation
import MezhvedXMLDSig

/// ``HTTPFetching`` with OpenSSL's own HTTP client (`OSSL_HTTP_transfer`, the one `openssl ocsp`
/// and `openssl cmp` use): CRLs from distribution points, OCSP responses and RFC 3161 timestamps.
/// Responses are read in full and must be one ASN.1 object (what a misconfigured server's HTML
/// error page is not). `https://` URLs are fetched over TLS when ``httpsTrust`` is given (the
/// server's certificate must verify against it and name the URL's host), refused otherwise.
///
/// OpenSSL's client blocks its thread until the server answers or the timeout passes, so every
/// request runs on a thread of the transport's own (at most ``maximumConcurrentRequests`` of
/// them, started on demand; more requests wait their turn), never on the cooperative pool: the
/// awaiting task is suspended meanwhile. OpenSSL's per-thread error queue is read into the thrown
/// error and emptied on that thread before the task resumes. Copies of a transport share its
/// threads; they end when the last copy is released.
public struct OpenSSLHTTPTransport: HTTPFetching {
    /// The longest a request may take, connection included.
    public let timeout: Duration
    /// The largest response accepted.
    public let maximumResponseBytes: Int
    /// How many requests run at once (each on its own thread, blocked while it waits).
    public var maximumConcurrentRequests: Int { threads.maximumThreads }
    /// The trust for `https://` sources; nil refuses them.
    public let httpsTrust: HTTPSTrust?
    let threads: BlockingThreads

    /// A transport whose requests time out after `timeout`, accept at most `maximumResponseBytes`,
    /// and run at most `maximumConcurrentRequests` at once; `https://` URLs only with `httpsTrust`.
    public init(
        timeout: Duration = .seconds(10), maximumResponseBytes: Int = 16 << 20, maximumConcurrentRequests: Int = 16,
        httpsTrust: HTTPSTrust? = nil
    ) {
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
        self.httpsTrust = httpsTrust
        threads = BlockingThreads(name: "mezhved.http", maximumThreads: maximumConcurrentRequests)
    }

    /// GETs `url` and returns the body.
    public func get(_ url: String, expecting contentType: String?) async throws -> [UInt8] {
        try await run(url, body: nil, contentType: nil, expecting: contentType)
    }

    /// POSTs `body` with `contentType` to `url` and returns the response body.
    public func post(_ url: String, body: [UInt8], contentType: String, expecting expected: String?) async throws -> [UInt8] {
        try await run(url, body: body, contentType: contentType, expecting: expected)
    }

    /// The blocking transfer, on one of the transport's threads.
    private func run(_ url: String, body: [UInt8]?, contentType: String?, expecting expected: String?) async throws -> [UInt8] {
        let timeout = timeout
        let maximumResponseBytes = maximumResponseBytes
        let trust = httpsTrust
        return try await threads.run {
            try Self.transfer(
                url, body: body, contentType: contentType, expecting: expected, timeout: timeout,
                maximumResponseBytes: maximumResponseBytes,
                httpsTrust: trust)
        }
    }

    /// One request with OpenSSL's blocking client. Every OpenSSL error of it is in the thrown
    /// error; the calling thread's queue is empty when it returns or throws.
    private static func transfer(
        _ url: String, body: [UInt8]?, contentType: String?, expecting expected: String?, timeout: Duration, maximumResponseBytes: Int,
        httpsTrust: HTTPSTrust?
    ) throws -> [UInt8] {
        CryptoRuntime.ready()
        _ = drainOpenSSLErrors()
        defer { _ = drainOpenSSLErrors() }
        let target = try HTTPTarget(url, allowingHTTPS: httpsTrust != nil)
        let tls = try target.usesTLS ? httpsTrust.map { try TLSClientContext($0) } : nil
        let seconds = max(1, Int32(clamping: timeout.components.seconds))
        let request: OpaquePointer? = try body.map { bytes in
            guard let bio = BIO_new(BIO_s_mem()) else { throw ValidationError(.internalFailure, "OpenSSL could not allocate a buffer") }
            _ = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            return bio
        }
        defer { if let request { BIO_free(request) } }
        let response = target.host.withCString { host -> OpaquePointer? in
            var arg = mz_http_tls(context: tls?.context, host: host)
            return withUnsafeMutablePointer(to: &arg) { pointer in
                OSSL_HTTP_transfer(
                    nil, target.host, target.port, target.path, tls == nil ? 0 : 1, nil, nil, nil, nil, mz_http_tls_update, pointer, 0, nil,
                    contentType, request, expected, 1, maximumResponseBytes, seconds, 0)
            }
        }
        guard let response else {
            let errors = drainOpenSSLErrors()
            if tls != nil, errors.contains(where: { $0.contains("certificate verify failed") || $0.contains("SSL routines") }) {
                throw ValidationError(
                    .unreachable, "\(url): the TLS connection failed (the server's certificate did not verify or name \(target.host))",
                    hint: "check the --https-trust certificates and the URL's host", openSSLErrors: errors)
            }
            if errors.contains(where: { $0.contains("status code") || $0.contains("content") || $0.contains("asn1") }) {
                throw ValidationError(
                    .badResponse, "\(url) answered with something other than a DER object", hint: "check the URL",
                    openSSLErrors: errors)
            }
            throw ValidationError(
                .unreachable, "\(url) did not answer (\(body == nil ? "GET" : "POST"), \(seconds) s timeout)",
                hint: "check the network and that the service is up; the result is INDETERMINATE until it answers",
                openSSLErrors: errors)
        }
        defer { BIO_free_all(response) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { BIO_read(response, $0.baseAddress, Int32($0.count)) }
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<Int(n)])
            if out.count > maximumResponseBytes {
                throw ValidationError(.unreachable, "\(url) sent more than \(maximumResponseBytes) bytes", hint: "check the URL")
            }
        }
        try HTTPFetchRules.requireOneDERObject(out, from: url)
        return out
    }
}

/// The parts of an `http://` (or, allowed, `https://`) URL.
struct HTTPTarget {
    let host: String
    let port: String
    let path: String
    let usesTLS: Bool

    init(_ url: String, allowingHTTPS: Bool = false) throws {
        try HTTPFetchRules.requireHTTP(url, allowingHTTPS: allowingHTTPS)
        var ssl: Int32 = 0
        var host: UnsafeMutablePointer<CChar>?
        var port: UnsafeMutablePointer<CChar>?
        var path: UnsafeMutablePointer<CChar>?
        var query: UnsafeMutablePointer<CChar>?
        defer {
            for p in [host, port, path, query] { if let p { CRYPTO_free(p, #fileID, #line) } }
        }
        guard OSSL_HTTP_parse_url(url, &ssl, nil, &host, &port, nil, &path, &query, nil) == 1, let host, let port, let path else {
            _ = drainOpenSSLErrors()
            throw ValidationError(.badURL, "\(url) is not a usable http:// URL", hint: "give a URL such as http://host:port/path")
        }
        self.host = String(cString: host)
        self.port = String(cString: port)
        usesTLS = ssl == 1
        let queryText = query.map { String(cString: $0) } ?? ""
        self.path = String(cString: path) + (queryText.isEmpty ? "" : "?" + queryText)
    }
}

/// Who is trusted for the TLS of `https://` CRL distribution points, OCSP responders and TSAs.
public struct HTTPSTrust: Sendable, Equatable {
    /// PEM files of CA certificates (or a server's own self-signed certificate); empty: the
    /// system's CA store (`/etc/ssl/certs`).
    public var caFiles: [String]

    public init(caFiles: [String] = []) { self.caFiles = caFiles }
}

/// One TLS client context for an HTTPS exchange: TLS 1.2 or later, the peer verified against
/// ``HTTPSTrust``. Owned here, freed in `deinit`.
final class TLSClientContext {
    let context: OpaquePointer

    init(_ trust: HTTPSTrust) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw ValidationError(.internalFailure, "OpenSSL could not make a TLS context", openSSLErrors: drainOpenSSLErrors())
        }
        self.context = context
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1 else {
            throw ValidationError(.internalFailure, "OpenSSL refused TLS 1.2 as the minimum", openSSLErrors: drainOpenSSLErrors())
        }
        if trust.caFiles.isEmpty {
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw ValidationError(
                    .configuration, "the system's CA store could not be loaded for HTTPS", openSSLErrors: drainOpenSSLErrors())
            }
        }
        for file in trust.caFiles where SSL_CTX_load_verify_locations(context, file, nil) != 1 {
            throw ValidationError(
                .configuration, "the HTTPS trust file \(file) cannot be read as PEM certificates",
                hint: "give PEM CA certificates (--https-trust)", openSSLErrors: drainOpenSSLErrors())
        }
    }

    deinit { SSL_CTX_free(context) }
}
