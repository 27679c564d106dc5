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
/// - `https://` URLs are refused with ``ValidationError`` code `badURL` (and so is anything that
///   is not an `http://` URL), before anything is sent;
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
