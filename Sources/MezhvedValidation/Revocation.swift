import Foundation
import MezhvedXMLDSig

/// Where revocation information comes from, in which order, and how fresh it must be.
/// See `docs/revocation.md`.
///
/// For each certificate the sources are tried in ``order`` until one answers `good` or `revoked`:
/// with ``Order-swift.enum/ocspFirst`` (the default) the configured responder, then the
/// responders of the certificate's authorityInfoAccess, then the CRL files that its issuer
/// signed, then the CRLs of its crlDistributionPoints; ``Order-swift.enum/crlFirst`` puts the two
/// CRL sources first.
public struct RevocationPolicy: Sendable {
    /// The order in which the two kinds of source are tried.
    public enum Order: String, Sendable, Codable {
        /// OCSP responders first (current, one small signed answer), CRLs as the fallback.
        case ocspFirst = "ocsp-first"
        /// CRL files and distribution points first, OCSP as the fallback.
        case crlFirst = "crl-first"
    }

    /// The hash of the issuer's name and key in an OCSP request's CertID. It does not depend on
    /// the certificates' key algorithm (GOST certificates use SHA-1 CertIDs too).
    public enum CertIDHash: String, Sendable, Codable {
        /// What `openssl ocsp` and most responders match by default.
        case sha1
        case sha256
    }

    /// CRL files (PEM, possibly several CRLs each, or DER), used for the certificates whose
    /// issuer signed them.
    public var crlFiles: [String]
    /// Whether CRLs are fetched over HTTP from the certificates' crlDistributionPoints.
    public var fetchCRLs: Bool
    /// Whether the OCSP responders named in the certificates' authorityInfoAccess are asked.
    public var ocspFromAIA: Bool
    /// Which certificates of a path the configured ``ocspResponder`` is asked about.
    public enum ResponderScope: String, Sendable, Codable {
        /// The signer's certificate only (the first of the path); CA certificates use their own
        /// sources. A responder configured for signers would otherwise answer "unknown", or be
        /// unauthorised, for the CA's own certificate.
        case signer
        /// Every certificate of the path.
        case everyCertificate = "every-certificate"
    }

    /// An OCSP responder asked before those of authorityInfoAccess, for the certificates of
    /// ``ocspResponderScope`` (set ``ocspFromAIA`` to `false` to ask this one only).
    public var ocspResponder: String?
    /// Which certificates ``ocspResponder`` is asked about; the signer's by default.
    public var ocspResponderScope: ResponderScope
    /// A locally trusted signer of ``ocspResponder``'s answers (RFC 6960 §4.2.2.2, "local
    /// configuration"); without it the answers must be signed by the certificate's CA or by a
    /// responder that CA delegated with id-kp-OCSPSigning.
    public var ocspResponderCertificate: Certificate?
    /// Which kind of source is tried first.
    public var order: Order
    /// A folder where fetched CRLs are kept between runs (files 0600, named by the URL's
    /// SHA-256); `nil` keeps them in memory only.
    public var cacheFolder: String?
    /// How long a CRL without nextUpdate counts as fresh after its thisUpdate.
    public var maximumCRLAge: TimeInterval
    /// How old an OCSP response without nextUpdate may be (from its thisUpdate).
    public var ocspMaximumAge: TimeInterval
    /// The clock difference tolerated between mezhved and the CA or responder.
    public var clockSkew: TimeInterval
    /// Whether a certificate for which no source is known makes the result INDETERMINATE
    /// instead of a "revocation not checked" warning. Copied into each evidence.
    public var requireRevocation: Bool
    /// Whether OCSP requests carry a nonce (checked when the responder echoes it).
    public var ocspNonce: Bool
    /// The CertID hash of OCSP requests.
    public var certIDHash: CertIDHash
    /// Whether OCSP answers (good or revoked) are kept in memory and reused while current —
    /// before their nextUpdate, or within ``ocspMaximumAge`` of their thisUpdate when they have
    /// none — instead of asking the responder for every document. A reused answer carries the
    /// nonce of the request that fetched it, not a new one.
    public var cacheOCSP: Bool
    /// The HTTP client for CRLs and OCSP: OpenSSL's client on threads of its own by default; any
    /// ``HTTPFetching`` (a server's non-blocking client).
    public var transport: any HTTPFetching

    /// A policy; the defaults fetch CRLs and ask OCSP responders named in the certificates,
    /// OCSP first.
    public init(
        crlFiles: [String] = [], fetchCRLs: Bool = true, ocspFromAIA: Bool = true, ocspResponder: String? = nil,
        ocspResponderScope: ResponderScope = .signer, ocspResponderCertificate: Certificate? = nil, order: Order = .ocspFirst,
        cacheFolder: String? = nil,
        maximumCRLAge: TimeInterval = 7 * 24 * 3600, ocspMaximumAge: TimeInterval = 3600, clockSkew: TimeInterval = 300,
        requireRevocation: Bool = false, ocspNonce: Bool = true, certIDHash: CertIDHash = .sha1, cacheOCSP: Bool = true,
        transport: any HTTPFetching = OpenSSLHTTPTransport()
    ) {
        self.cacheOCSP = cacheOCSP
        self.crlFiles = crlFiles
        self.fetchCRLs = fetchCRLs
        self.ocspFromAIA = ocspFromAIA
        self.ocspResponder = ocspResponder
        self.ocspResponderScope = ocspResponderScope
        self.ocspResponderCertificate = ocspResponderCertificate
        self.order = order
        self.cacheFolder = cacheFolder
        self.maximumCRLAge = maximumCRLAge
        self.ocspMaximumAge = ocspMaximumAge
        self.clockSkew = clockSkew
        self.requireRevocation = requireRevocation
        self.ocspNonce = ocspNonce
        self.certIDHash = certIDHash
        self.transport = transport
    }
}

/// What was found out about one certificate's revocation: facts (status, times, source), not a
/// verdict. Whether a revocation matters depends on the proven signing time, which the caller
/// compares with ``revocationTime``.
public struct RevocationEvidence: Sendable, Codable, Equatable {
    /// The revocation status of a certificate.
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// A usable source says the certificate is not revoked.
        case good
        /// A usable source says the certificate is revoked (see ``revocationTime`` and ``reason``).
        case revoked
        /// An OCSP responder answered "unknown" and no other source answered: the status is not
        /// known (INDETERMINATE).
        case unknown
        /// A source is named or configured but none could be used: unreachable, refused, badly
        /// signed, unauthorised or stale (see ``problems``). INDETERMINATE, TRY_LATER.
        case unavailable
        /// No source is known for the certificate: it names no OCSP responder or CRL
        /// distribution point and none was configured. A warning, or INDETERMINATE when
        /// ``revocationRequired``.
        case notChecked = "not-checked"
    }

    /// The kind of source an answer came from.
    public enum Source: String, Sendable, Codable, CaseIterable {
        case ocsp
        case crlFile = "crl-file"
        case crlHTTP = "crl-http"
        /// A CRL carried in the signature's own `xades:RevocationValues` (XAdES-LT).
        case crlEmbedded = "crl-embedded"
        /// An OCSP response carried in the signature's own `xades:RevocationValues` (XAdES-LT).
        case ocspEmbedded = "ocsp-embedded"
    }

    /// The certificate the evidence is about.
    public let certificate: CertificateSummary
    public let status: Status
    /// When the certificate was revoked (``Status-swift.enum/revoked`` only).
    public let revocationTime: Date?
    /// The RFC 5280 reason name (`keyCompromise`, `cessationOfOperation`, …), when given.
    public let reason: String?
    /// The source of the status (``Status-swift.enum/good``, ``Status-swift.enum/revoked``,
    /// ``Status-swift.enum/unknown``).
    public let source: Source?
    /// The responder URL, the distribution point URL or the CRL file path of ``source``.
    public let location: String?
    /// When the CRL or the OCSP answer was issued.
    public let thisUpdate: Date?
    /// When the CA or responder promises newer information.
    public let nextUpdate: Date?
    /// When the OCSP response was signed (OCSP only).
    public let producedAt: Date?
    /// The OCSP response's signer or the CRL's issuer.
    public let responder: CertificateSummary?
    /// Every reason a source was rejected or could not be used, in the order tried, each
    /// naming the source; may be present with a conclusive status when an earlier source failed.
    public let problems: [String]
    /// When the answer or CRL was obtained (for a cached CRL, when it was fetched).
    public let fetchedAt: Date?
    /// The moment of interest the check was made for (the proven signing time, else now).
    public let timeOfInterest: Date
    /// The policy's ``RevocationPolicy/requireRevocation``: a ``Status-swift.enum/notChecked``
    /// certificate is then INDETERMINATE.
    public let revocationRequired: Bool
    /// The DER of the OCSP response or CRL that gave the status, for archiving (a signature's
    /// revocation values). Not part of the JSON form: a CRL may be megabytes.
    public let encoded: [UInt8]?

    /// Evidence with every field given (for reports and tests; the checker makes its own).
    public init(
        certificate: CertificateSummary, status: Status, revocationTime: Date? = nil, reason: String? = nil,
        source: Source? = nil, location: String? = nil, thisUpdate: Date? = nil, nextUpdate: Date? = nil,
        producedAt: Date? = nil, responder: CertificateSummary? = nil, problems: [String] = [], fetchedAt: Date? = nil,
        timeOfInterest: Date, revocationRequired: Bool = false, encoded: [UInt8]? = nil
    ) {
        self.certificate = certificate
        self.status = status
        self.revocationTime = revocationTime
        self.reason = reason
        self.source = source
        self.location = location
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.producedAt = producedAt
        self.responder = responder
        self.problems = problems
        self.fetchedAt = fetchedAt
        self.timeOfInterest = timeOfInterest
        self.revocationRequired = revocationRequired
        self.encoded = encoded
    }

    private enum CodingKeys: String, CodingKey {
        case certificate, status, revocationTime, reason, source, location, thisUpdate, nextUpdate, producedAt, responder, problems
        case fetchedAt, timeOfInterest, revocationRequired
    }

    /// Decodes the JSON form (without ``encoded``).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        certificate = try container.decode(CertificateSummary.self, forKey: .certificate)
        status = try container.decode(Status.self, forKey: .status)
        revocationTime = try container.decodeIfPresent(Date.self, forKey: .revocationTime)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        source = try container.decodeIfPresent(Source.self, forKey: .source)
        location = try container.decodeIfPresent(String.self, forKey: .location)
        thisUpdate = try container.decodeIfPresent(Date.self, forKey: .thisUpdate)
        nextUpdate = try container.decodeIfPresent(Date.self, forKey: .nextUpdate)
        producedAt = try container.decodeIfPresent(Date.self, forKey: .producedAt)
        responder = try container.decodeIfPresent(CertificateSummary.self, forKey: .responder)
        problems = try container.decodeIfPresent([String].self, forKey: .problems) ?? []
        fetchedAt = try container.decodeIfPresent(Date.self, forKey: .fetchedAt)
        timeOfInterest = try container.decode(Date.self, forKey: .timeOfInterest)
        revocationRequired = try container.decodeIfPresent(Bool.self, forKey: .revocationRequired) ?? false
        encoded = nil
    }

    /// Whether the certificate was revoked at or before `time` (the revocation counts against a
    /// signature made at `time`). `false` for every status but ``Status-swift.enum/revoked``.
    public func revoked(atOrBefore time: Date) -> Bool {
        guard status == .revoked, let revocationTime else { return false }
        return revocationTime <= time
    }
}

/// The RFC 5280 name of a CRLReason value.
func crlReasonName(_ code: Int) -> String? {
    switch code {
    case 0: "unspecified"
    case 1: "keyCompromise"
    case 2: "cACompromise"
    case 3: "affiliationChanged"
    case 4: "superseded"
    case 5: "cessationOfOperation"
    case 6: "certificateHold"
    case 8: "removeFromCRL"
    case 9: "privilegeWithdrawn"
    case 10: "aACompromise"
    default: nil
    }
}

/// What one source said about one certificate, before the checker combines the sources.
struct SourceAnswer: Sendable {
    var status: RevocationEvidence.Status
    var revocationTime: Date?
    var reason: String?
    var source: RevocationEvidence.Source
    var location: String
    var thisUpdate: Date?
    var nextUpdate: Date?
    var producedAt: Date?
    var responder: CertificateSummary?
    var fetchedAt: Date?
    var encoded: [UInt8]?
}

/// A source that could not be used, and why (a sentence naming the source).
struct SourceFailure: Error {
    let problem: String
}
