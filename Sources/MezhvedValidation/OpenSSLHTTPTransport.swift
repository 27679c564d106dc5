internal import COpenSSL
import Foundation
import MezhvedXMLDSig

/// ``HTTPFetching`` with OpenSSL's own HTTP client (`OSSL_HTTP_transfer`, the one `openssl ocsp`
/// and `openssl cmp` use): CRLs from distribution points, OCSP responses and RFC 3161 timestamps.
/// Responses are read in full and must be one ASN.1 object (what a misconfigured server's HTML
/// error page is not). HTTPS URLs are refused with a clear error.
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
    let threads: BlockingThreads

    /// A transport whose requests time out after `timeout`, accept at most `maximumResponseBytes`,
    /// and run at most `maximumConcurrentRequests` at once.
    public init(timeout: Duration = .seconds(10), maximumResponseBytes: Int = 16 << 20, maximumConcurrentRequests: Int = 16) {
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
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
        return try await threads.run {
            try Self.transfer(
                url, body: body, contentType: contentType, expecting: expected, timeout: timeout, maximumResponseBytes: maximumResponseBytes
            )
        }
    }

    /// One request with OpenSSL's blocking client. Every OpenSSL error of it is in the thrown
    /// error; the calling thread's queue is empty when it returns or throws.
    private static func transfer(
        _ url: String, body: [UInt8]?, contentType: String?, expecting expected: String?, timeout: Duration, maximumResponseBytes: Int
    ) throws -> [UInt8] {
        CryptoRuntime.ready()
        _ = drainOpenSSLErrors()
        defer { _ = drainOpenSSLErrors() }
        let target = try HTTPTarget(url)
        let seconds = max(1, Int32(clamping: timeout.components.seconds))
        let request: OpaquePointer? = try body.map { bytes in
            guard let bio = BIO_new(BIO_s_mem()) else { throw ValidationError(.internalFailure, "OpenSSL could not allocate a buffer") }
            _ = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            return bio
        }
        defer { if let request { BIO_free(request) } }
        let response = OSSL_HTTP_transfer(
            nil, target.host, target.port, target.path, 0, nil, nil, nil, nil, nil, nil, 0, nil, contentType, request, expected, 1,
            maximumResponseBytes, seconds, 0)
        guard let response else {
            let errors = drainOpenSSLErrors()
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

/// The parts of an `http://` URL.
struct HTTPTarget {
    let host: String
    let port: String
    let path: String

    init(_ url: String) throws {
        try HTTPFetchRules.requirePlainHTTP(url)
        var ssl: Int32 = 0  // 0: http (https was refused above)
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
        let queryText = query.map { String(cString: $0) } ?? ""
        self.path = String(cString: path) + (queryText.isEmpty ? "" : "?" + queryText)
    }
}
