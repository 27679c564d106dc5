internal import COpenSSL
import Foundation
import MezhvedXMLDSig

/// Fetches revocation data and timestamps over plain HTTP with OpenSSL's own HTTP client
/// (`OSSL_HTTP_transfer`, the one `openssl ocsp` and `openssl cmp` use): CRLs from distribution
/// points, OCSP responses and RFC 3161 timestamps are signed objects, so HTTP is what their
/// protocols specify. Every body they carry is DER, so responses are read in full and must be one
/// ASN.1 object (what a misconfigured server's HTML error page is not). HTTPS URLs are refused
/// with a clear error.
public struct HTTPTransport: Sendable {
    /// The longest a request may take, connection included.
    public var timeout: Duration
    /// The largest response accepted.
    public var maximumResponseBytes: Int

    public init(timeout: Duration = .seconds(10), maximumResponseBytes: Int = 16 << 20) {
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
    }

    /// GETs `url` and returns the body.
    public func get(_ url: String, expecting contentType: String? = nil) throws -> [UInt8] {
        try transfer(url, body: nil, contentType: nil, expecting: contentType)
    }

    /// POSTs `body` with `contentType` to `url` and returns the response body.
    public func post(_ url: String, body: [UInt8], contentType: String, expecting expected: String? = nil) throws -> [UInt8] {
        try transfer(url, body: body, contentType: contentType, expecting: expected)
    }

    private func transfer(_ url: String, body: [UInt8]?, contentType: String?, expecting expected: String?) throws -> [UInt8] {
        CryptoRuntime.ready()
        let target = try HTTPTarget(url)
        let seconds = max(1, Int32(clamping: timeout.components.seconds))
        let request: OpaquePointer? = try body.map { bytes in
            guard let bio = BIO_new(BIO_s_mem()) else { throw ValidationError(.internalFailure, "OpenSSL could not allocate a buffer") }
            _ = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            return bio
        }
        defer { if let request { BIO_free(request) } }
        _ = drainOpenSSLErrors()
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
        return out
    }
}

/// The parts of an `http://` URL.
struct HTTPTarget {
    let host: String
    let port: String
    let path: String

    init(_ url: String) throws {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw ValidationError(.badURL, "\(url) is not an http:// URL", hint: "give a URL such as http://host:port/path")
        }
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
        guard ssl == 0 else {
            throw ValidationError(
                .badURL, "\(url) uses HTTPS, which mezhved does not fetch revocation data or timestamps over",
                hint: "use the service's http:// URL: CRLs, OCSP responses and timestamps are signed, so plain HTTP is safe")
        }
        self.host = String(cString: host)
        self.port = String(cString: port)
        let queryText = query.map { String(cString: $0) } ?? ""
        self.path = String(cString: path) + (queryText.isEmpty ? "" : "?" + queryText)
    }
}
