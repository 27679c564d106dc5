import MezhvedDocuments
import MezhvedValidation
import MezhvedXMLDSig

/// How incoming signatures are validated: the one place where a ``QualifiedValidator`` is set up
/// from trust and policy settings, for the gateway, `mezhved verify --report` and the audit.
public struct ValidatorSetup: Sendable {
    public var trust: GatewayConfiguration.TrustSettings
    public var policy: GatewayConfiguration.PolicySettings
    /// How many references the signature must have (1: the whole document or one element).
    public var expectedReferenceCount: Int
    /// The references' URIs, when pinned.
    public var expectedReferenceURIs: [String]?
    /// Whether the signer's organisation must be the letterhead's agency.
    public var checkLetterhead: Bool

    public init(
        trust: GatewayConfiguration.TrustSettings, policy: GatewayConfiguration.PolicySettings, expectedReferenceCount: Int = 1,
        expectedReferenceURIs: [String]? = nil, checkLetterhead: Bool = true
    ) {
        self.trust = trust
        self.policy = policy
        self.expectedReferenceCount = expectedReferenceCount
        self.expectedReferenceURIs = expectedReferenceURIs
        self.checkLetterhead = checkLetterhead
    }

    /// The revocation policy these settings give (CRL files, fetching, OCSP, cache, timeout).
    public var revocationPolicy: RevocationPolicy {
        var revocation = RevocationPolicy()
        revocation.crlFiles = trust.crls
        revocation.fetchCRLs = !policy.offline
        revocation.ocspFromAIA = !policy.offline
        revocation.ocspResponder = policy.ocspResponder
        revocation.cacheFolder = policy.crlCache
        revocation.transport = OpenSSLHTTPTransport(
            timeout: .seconds(policy.networkTimeout),
            httpsTrust: policy.httpsTrust.isEmpty ? nil : HTTPSTrust(caFiles: policy.httpsTrust))
        revocation.requireRevocation = policy.requireRevocation
        return revocation
    }

    /// Loads the trust anchors and intermediates and makes the validator.
    public func make(documents: DocumentContext? = nil) throws -> QualifiedValidator {
        let store = try TrustStore(directories: trust.anchors)
        let intermediates = try trust.intermediates.flatMap { try Certificate.load(contentsOf: $0) }
        let checker = try RevocationChecker(policy: revocationPolicy, trustStore: store)
        let qualified = QualifiedValidationPolicy(
            verification: VerificationPolicy(
                expectedReferenceCount: expectedReferenceCount, expectedReferenceURIs: expectedReferenceURIs,
                allowLegacyAlgorithms: policy.allowLegacyAlgorithms, retainSignedContent: true),
            requireRevocation: policy.requireRevocation, checkLetterhead: checkLetterhead)
        return QualifiedValidator(
            trustStore: store, intermediates: intermediates, policy: qualified, revocation: checker, documents: documents)
    }
}
