/// Fetches revocation data and timestamps over plain HTTP: CRLs from distribution points (GET),
/// OCSP responses and RFC 3161 timestamps (POST). Those are signed objects, so plain HTTP is what
/// their protocols specify; every body they carry is DER.
///
/// The revocation checker (``RevocationPolicy/transport``) and the TSA client
/// (``RFC3161Timestamper/transport``) call it from async code, so an implementation must not block
/// the cooperative thread pool: ``OpenSSLHTTPTransport`` runs OpenSSL's blocking client on
/// threads of its own; a server can plug in a non-blocking client (async-http-client) instead.
///
/// What every implementation guarantees, for each call:
/// - an `https://` URL is fetched only by a transport configured with the trust for its server
///   (``OpenSSLHTTPTransport/httpsTrust``), whose certificate must then verify and name the host;
///   otherwise it is refused with ``ValidationError`` code `badURL`, as is anything that is not an
///   `http://` or `https://` URL, before anything is sent;
/// - the whole exchange, connection included, is bounded by a timeout, and a response larger than
///   a maximum size is refused: a slow or hostile server costs at most that;
/// - the returned body is the complete response, one DER object (a misconfigured server's HTML
///   error page is refused, as is a status other than 200 and, when `expecting` is given, another
///   content type): code `badResponse`;
/// - a service that does not answer is code `unreachable`, naming the URL.
public protocol HTTPFetching: Sendable {
    /// GETs `url` and returns the body; with `expecting`, the response's content type must be it.
    func get(_ url: String, expecting contentType: String?) async throws -> [UInt8]

    /// POSTs `body` as `contentType` to `url` and returns the response body; with `expecting`,
    /// the response's content type must be it.
    func post(_ url: String, body: [UInt8], contentType: String, expecting expected: String?) async throws -> [UInt8]
}

extension HTTPFetching {
    /// GETs `url` and returns the body, whatever its content type.
    public func get(_ url: String) async throws -> [UInt8] {
        try await get(url, expecting: nil)
    }
}

/// The checks every ``HTTPFetching`` implementation applies, in one place so that they refuse
/// alike and say so in the same words: ``OpenSSLHTTPTransport`` uses the URL check (OpenSSL's
/// client checks the body itself); a client without OpenSSL's DER reading (async-http-client)
/// uses both.
public enum HTTPFetchRules {
    /// Refuses anything but an `http://` URL: `https://` with a hint that plain HTTP is what the
    /// signed objects are fetched over, other schemes and text that is no URL as such.
    ///
    /// - Throws: ``ValidationError`` code `badURL`.
    public static func requirePlainHTTP(_ url: String) throws {
        try requireHTTP(url, allowingHTTPS: false)
    }

    /// As ``requirePlainHTTP(_:)``, and `https://` too when `allowingHTTPS` (a transport with the
    /// trust to verify the server).
    public static func requireHTTP(_ url: String, allowingHTTPS: Bool) throws {
        let lower = url.lowercased()
        if allowingHTTPS, lower.hasPrefix("https://"), lower.count > "https://".count { return }
        if lower.hasPrefix("https://") {
            throw ValidationError(
                .badURL, "\(url) uses HTTPS, and no trust for its TLS server was given",
                hint:
                    "use the service's http:// URL (CRLs, OCSP responses and timestamps are signed, so plain HTTP is safe), or give the CA certificates that verify its TLS server (--https-trust)"
            )
        }
        guard lower.hasPrefix("http://"), lower.count > "http://".count else {
            throw ValidationError(.badURL, "\(url) is not an http:// URL", hint: "give a URL such as http://host:port/path")
        }
    }

    /// Requires `body` (the response of `url`) to be exactly one DER SEQUENCE with a definite
    /// length — what a CRL, an OCSP response and a TimeStampResp are — and nothing after it.
    ///
    /// - Throws: ``ValidationError`` code `badResponse`.
    public static func requireOneDERObject(_ body: [UInt8], from url: String) throws {
        guard body.count >= 2, body[0] == 0x30 else {
            throw notDER(url, body.isEmpty ? "an empty body" : "no DER SEQUENCE")
        }
        var length = Int(body[1])
        var contentStart = 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            // 0x80 is the indefinite length, which DER forbids; more than 4 length bytes is no real response.
            guard count >= 1, count <= 4, body.count >= 2 + count else { throw notDER(url, "a length DER does not allow") }
            length = body[2..<(2 + count)].reduce(0) { $0 << 8 | Int($1) }
            contentStart = 2 + count
        }
        guard contentStart + length == body.count else {
            throw notDER(
                url, contentStart + length > body.count ? "a truncated DER object" : "bytes after the DER object")
        }
    }

    private static func notDER(_ url: String, _ what: String) -> ValidationError {
        ValidationError(.badResponse, "\(url) answered with something other than a DER object (\(what))", hint: "check the URL")
    }
}
