internal import COpenSSL
import Foundation
import MezhvedXMLDSig

/// An RFC 3161 time-stamping client over HTTP: the timestamper of XAdES-T signing.
///
/// It sends a TimeStampReq (version 1, the message imprint, a random 64-bit nonce, certReq TRUE so
/// that the token carries the TSA's certificate, and the policy when one is configured) as
/// `application/timestamp-query`, expects `application/timestamp-reply`, and returns the token only
/// when the status is granted and the token echoes the nonce, the imprint and the policy. Whether
/// the TSA is trusted is the verifier's business (``SignatureVerifier`` checks the token's path).
public struct RFC3161Timestamper: SignatureTimestamper {
    /// The TSA's `http://` URL.
    public let url: String
    /// The HTTP client (its timeout bounds the whole exchange).
    public let transport: any HTTPFetching
    /// The TSA policy to ask for (dotted OID); nil lets the TSA choose.
    public let policy: String?

    /// A client of the TSA at `url` (`http://` only), with `policy` asked for when given.
    public init(url: String, transport: any HTTPFetching = OpenSSLHTTPTransport(), policy: String? = nil) {
        self.url = url
        self.transport = transport
        self.policy = policy
    }

    /// Obtains a timestamp over `digest` and returns the DER TimeStampToken. The request is built
    /// and the reply checked on the caller's thread; the exchange is awaited through ``transport``
    /// without blocking a thread and with no OpenSSL error left on the caller's.
    public func timestamp(messageImprint digest: [UInt8], algorithm: DigestAlgorithm) async throws -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 8)
        guard RAND_bytes(&nonce, Int32(nonce.count)) == 1 else {
            throw ValidationError(.internalFailure, "OpenSSL could not make a nonce", openSSLErrors: drainOpenSSLErrors())
        }
        nonce[0] &= 0x7F  // a positive INTEGER of at most 64 bits
        if nonce[0] == 0 { nonce[0] = 1 }
        let query = try request(digest: digest, algorithm: algorithm, nonce: nonce)
        _ = drainOpenSSLErrors()
        let reply: [UInt8]
        do {
            reply = try await transport.post(
                url, body: query, contentType: "application/timestamp-query", expecting: "application/timestamp-reply")
        } catch let error as ValidationError where error.code == .unreachable {
            throw ValidationError(
                .unreachable, error.message, hint: "check the network and that the TSA is up, or sign without a timestamp (XAdES-BES)",
                openSSLErrors: error.openSSLErrors)
        }
        let token = try tokenOfReply(reply)
        let parsed: TimestampToken
        do {
            parsed = try TimestampToken(der: token, source: "the timestamp from \(url)")
        } catch let error as XMLDSigError {
            throw ValidationError(
                .timestampFailed, error.message, hint: "the TSA at \(url) sent an unreadable token", openSSLErrors: error.openSSLErrors)
        }
        guard parsed.nonce == nonce else {
            throw ValidationError(
                .timestampFailed, "the timestamp from \(url) does not echo the request's nonce (a replayed or foreign reply)",
                hint: "check that the URL is the TSA's")
        }
        guard parsed.hashAlgorithmOID == algorithm.oid, parsed.messageImprint == digest else {
            throw ValidationError(
                .timestampFailed, "the timestamp from \(url) covers another digest than the one sent (\(algorithm.displayName))",
                hint: "check the TSA: its token's message imprint must be the digest that was sent")
        }
        if let policy, parsed.policy != policy {
            throw ValidationError(
                .timestampFailed, "the timestamp from \(url) was issued under policy \(parsed.policy), not the requested \(policy)",
                hint: "ask the TSA's operator which policies it serves")
        }
        return token
    }

    /// The DER TimeStampReq.
    private func request(digest: [UInt8], algorithm: DigestAlgorithm, nonce: [UInt8]) throws -> [UInt8] {
        guard let request = TS_REQ_new(), let imprint = TS_MSG_IMPRINT_new(), let algor = X509_ALGOR_new() else {
            throw ValidationError(.internalFailure, "OpenSSL could not allocate a timestamp request", openSSLErrors: drainOpenSSLErrors())
        }
        defer {
            TS_REQ_free(request)
            TS_MSG_IMPRINT_free(imprint)
            X509_ALGOR_free(algor)
        }
        guard let object = OBJ_txt2obj(algorithm.oid, 1) else {
            throw ValidationError(.internalFailure, "OpenSSL does not know the OID \(algorithm.oid)", openSSLErrors: drainOpenSSLErrors())
        }
        // As `openssl ts -query`: the algorithm with NULL parameters. set0 takes the object.
        X509_ALGOR_set0(algor, object, V_ASN1_NULL, nil)
        var ok = TS_REQ_set_version(request, 1) == 1
        ok = ok && TS_MSG_IMPRINT_set_algo(imprint, algor) == 1
        ok =
            ok
            && digest.withUnsafeBufferPointer {
                TS_MSG_IMPRINT_set_msg(imprint, UnsafeMutablePointer(mutating: $0.baseAddress), Int32($0.count))
            } == 1
        ok = ok && TS_REQ_set_msg_imprint(request, imprint) == 1
        ok = ok && TS_REQ_set_cert_req(request, 1) == 1
        if ok, let policy {
            guard let policyObject = OBJ_txt2obj(policy, 1) else {
                throw ValidationError(
                    .configuration, "the TSA policy \(policy) is not an OID", hint: "give a dotted OID such as 1.2.643.2.2.38.4")
            }
            defer { ASN1_OBJECT_free(policyObject) }
            ok = TS_REQ_set_policy_id(request, policyObject) == 1
        }
        if ok {
            let number = nonce.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
            defer { BN_free(number) }
            let integer = number.flatMap { BN_to_ASN1_INTEGER($0, nil) }
            defer { ASN1_INTEGER_free(integer) }
            ok = integer != nil && TS_REQ_set_nonce(request, integer) == 1
        }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        let length = ok ? i2d_TS_REQ(request, &buffer) : 0
        guard length > 0, let buffer else {
            throw ValidationError(.internalFailure, "OpenSSL could not build the timestamp request", openSSLErrors: drainOpenSSLErrors())
        }
        defer { CRYPTO_free(buffer, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
    }

    /// The token of a TimeStampResp, when its status is granted.
    private func tokenOfReply(_ reply: [UInt8]) throws -> [UInt8] {
        var pointer: UnsafePointer<UInt8>? = nil
        let response: OpaquePointer? = reply.withUnsafeBufferPointer { buffer in
            pointer = buffer.baseAddress
            return d2i_TS_RESP(nil, &pointer, buffer.count)
        }
        guard let response else {
            throw ValidationError(
                .badResponse, "\(url) answered with something that is not a TimeStampResp", hint: "check that the URL is an RFC 3161 TSA",
                openSSLErrors: drainOpenSSLErrors())
        }
        defer { TS_RESP_free(response) }
        guard let status = TS_RESP_get_status_info(response) else {
            throw ValidationError(.badResponse, "the reply of \(url) has no status")
        }
        let code = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(status))
        guard code == 0 || code == 1 else {
            let names = [2: "rejection", 3: "waiting", 4: "revocationWarning", 5: "revocationNotification"]
            let statusName = names[Int(code)] ?? "PKIStatus \(code)"
            var reasons: [String] = []
            if let failure = TS_STATUS_INFO_get0_failure_info(status) {
                let bits: [(Int32, String)] = [
                    (0, "badAlg (unrecognized or unsupported algorithm)"), (2, "badRequest (transaction not permitted or supported)"),
                    (5, "badDataFormat (the data submitted has the wrong format)"),
                    (14, "timeNotAvailable (the TSA's time source is not available)"),
                    (15, "unacceptedPolicy (the requested TSA policy is not supported)"),
                    (16, "unacceptedExtension (the requested extension is not supported)"),
                    (17, "addInfoNotAvailable"), (25, "systemFailure (the TSA failed)"),
                ]
                for (bit, text) in bits where ASN1_BIT_STRING_get_bit(failure, bit) == 1 { reasons.append(text) }
            }
            if let texts = TS_STATUS_INFO_get0_text(status) {
                for index in 0..<OPENSSL_sk_num(texts) {
                    guard let raw = OPENSSL_sk_value(texts, index) else { continue }
                    let string = raw.assumingMemoryBound(to: ASN1_STRING.self)
                    if let data = ASN1_STRING_get0_data(string) {
                        reasons.append(
                            String(decoding: UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))), as: UTF8.self))
                    }
                }
            }
            throw ValidationError(
                .timestampFailed,
                "the TSA at \(url) refused the timestamp: \(statusName)\(reasons.isEmpty ? "" : " — " + reasons.joined(separator: "; "))",
                hint: "check the TSA's policy and algorithms with its operator")
        }
        guard let token = TS_RESP_get_token(response) else {
            throw ValidationError(.badResponse, "the reply of \(url) grants a timestamp but holds no token")
        }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PKCS7(token, &buffer)
        guard length > 0, let buffer else {
            throw ValidationError(.internalFailure, "OpenSSL could not encode the token of \(url)", openSSLErrors: drainOpenSSLErrors())
        }
        defer { CRYPTO_free(buffer, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
    }
}
