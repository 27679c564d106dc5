import Foundation

/// Everything a gateway needs to run, read once from one file (YAML or JSON; see
/// docs/gateway.md) and checked as a whole before any work starts. Paths in the file are relative
/// to the file's folder; here they are absolute. No secret is ever in the file: keys, the
/// personal-data key and passphrases are named by path (or environment variable) only.
public struct GatewayConfiguration: Sendable, Equatable {
    /// The agency this gateway acts for (a directory id, e.g. `social-protection`).
    public var agency: String
    /// The archive and journal.
    public var archive: ArchiveSettings
    /// The people who sign for the agency, each with a key and certificate; the first signs receipts
    /// unless ``receiptSignatory`` names another.
    public var signatories: [SignatorySettings]
    /// The signatory (by id) who signs receipts.
    public var receiptSignatory: String?
    /// Trust anchors, intermediates and revocation data.
    public var trust: TrustSettings
    /// How documents are signed and how incoming ones are judged.
    public var policy: PolicySettings
    /// Alternative directory, regulations and calendar files (the bundled ones by default).
    public var documents: DocumentSettings
    /// The exchange with peer gateways (`mezhved serve`); nil when the gateway does not exchange.
    public var exchange: ExchangeSettings?
    /// The file the configuration was read from.
    public var source: String

    public init(
        agency: String, archive: ArchiveSettings, signatories: [SignatorySettings], receiptSignatory: String? = nil,
        trust: TrustSettings, policy: PolicySettings = PolicySettings(), documents: DocumentSettings = DocumentSettings(),
        exchange: ExchangeSettings? = nil, source: String
    ) {
        self.exchange = exchange
        self.agency = agency
        self.archive = archive
        self.signatories = signatories
        self.receiptSignatory = receiptSignatory
        self.trust = trust
        self.policy = policy
        self.documents = documents
        self.source = source
    }

    /// The archive folder and the keys it needs.
    public struct ArchiveSettings: Sendable, Equatable {
        /// The archive folder (created by `mezhved archive init`).
        public var path: String
        /// The personal-data key file (never inside the archive).
        public var dataKey: String
        /// The gateway's checkpoint-signing key; archive.json's `gatewayKeyFile` when nil.
        public var gatewayKey: String?
        /// The gateway certificate the audit expects (pinned); archive.json's when nil.
        public var gatewayCertificate: String?
        /// A folder outside the archive that receives a copy of every checkpoint.
        public var witness: String?
        /// The key of the people's keyed hashes in the records (joint events, help), never inside the archive.
        public var personKey: String?
        /// The store: `filesystem` (the folder `path`, the default) or `postgres` (docs/postgres.md).
        public var store: String = "filesystem"
        /// For `store: postgres`: the connection URL, without the password
        /// (`postgres://USER@HOST:PORT/DATABASE?schema=…`), and the file holding the password (0600).
        public var url: String?
        public var passwordFile: String?
        /// For `store: postgres`: the most connections this node's pool opens (16 when nil).
        public var connections: Int?

        public init(
            path: String, dataKey: String, gatewayKey: String? = nil, gatewayCertificate: String? = nil, witness: String? = nil,
            personKey: String? = nil
        ) {
            self.personKey = personKey
            self.path = path
            self.dataKey = dataKey
            self.gatewayKey = gatewayKey
            self.gatewayCertificate = gatewayCertificate
            self.witness = witness
        }
    }

    /// One person who signs for the agency.
    public struct SignatorySettings: Sendable, Equatable {
        /// A short id to choose the signatory by (`--signatory`).
        public var id: String
        /// The private key (PEM).
        public var key: String
        /// The certificate (PEM or DER).
        public var certificate: String
        /// Intermediate CA certificates to put in KeyInfo.
        public var chain: String?
        /// A file whose first line is the key's passphrase (encrypted keys).
        public var passphraseFile: String?
        /// An environment variable holding the key's passphrase (encrypted keys).
        public var passphraseEnvironment: String?
        /// When the key is unlocked: once when the gateway opens (from ``passphraseFile`` or
        /// ``passphraseEnvironment``), or for each signing with the passphrase its owner types.
        public var unlock: KeyUnlock

        public init(
            id: String, key: String, certificate: String, chain: String? = nil, passphraseFile: String? = nil,
            passphraseEnvironment: String? = nil, unlock: KeyUnlock = .atStart
        ) {
            self.id = id
            self.key = key
            self.certificate = certificate
            self.chain = chain
            self.passphraseFile = passphraseFile
            self.passphraseEnvironment = passphraseEnvironment
            self.unlock = unlock
        }
    }

    /// When a signatory's key is unlocked (`unlock:` in the configuration).
    public enum KeyUnlock: String, Sendable, Equatable, CaseIterable {
        /// Once, when the gateway opens; the unlocked key stays in the process's memory.
        case atStart = "at-start"
        /// For each signing: the encrypted key stays encrypted in memory, its owner's passphrase
        /// decrypts it for one signature and the decrypted key is freed straight after.
        case perSigning = "per-signing"
    }

    /// What incoming signatures are checked against.
    public struct TrustSettings: Sendable, Equatable {
        /// Folders of trusted (accredited) CA certificates.
        public var anchors: [String]
        /// Intermediate CA certificates (PEM files) to build chains with.
        public var intermediates: [String]
        /// CRL files.
        public var crls: [String]

        public init(anchors: [String], intermediates: [String] = [], crls: [String] = []) {
            self.anchors = anchors
            self.intermediates = intermediates
            self.crls = crls
        }
    }

    /// The XAdES form of the gateway's own signatures.
    public enum SignatureForm: String, Sendable, Equatable, CaseIterable {
        /// Plain XMLDSig.
        case xmldsig
        /// XAdES-BES: the signing time and signing certificate are signed.
        case bes
        /// XAdES-T: BES plus an RFC 3161 timestamp from ``PolicySettings/tsa``.
        case t
        /// XAdES-LT: T plus the validation data (certificates, CRLs/OCSP responses) the gateway's
        /// validator used, so the signature validates after those sources are gone.
        case lt
        /// XAdES-LTA: LT plus an archive timestamp from ``PolicySettings/tsa`` over all of it.
        case lta

        /// Whether the form needs a time-stamping authority.
        public var needsTSA: Bool { self == .t || self == .lt || self == .lta }
    }

    /// How documents are signed and how incoming ones are judged.
    public struct PolicySettings: Sendable, Equatable {
        /// The form of outgoing signatures.
        public var signatureForm: SignatureForm
        /// The time-stamping authority (http://) for XAdES-T.
        public var tsa: String?
        /// Seconds to wait for the TSA, CRL distribution points and OCSP responders.
        public var networkTimeout: Int
        /// Fetch nothing over the network: only the configured CRL files are revocation sources.
        public var offline: Bool
        /// A certificate without any revocation source makes the signature INDETERMINATE.
        public var requireRevocation: Bool
        /// An incoming signature must be a qualified one (63-FZ art. 11), not only valid.
        public var requireQualified: Bool
        /// An OCSP responder (http://) to ask beside the certificates' own AIA.
        public var ocspResponder: String?
        /// A folder to keep fetched CRLs in.
        public var crlCache: String?
        /// Accept SHA-1 (as weak) in incoming signatures.
        public var allowLegacyAlgorithms: Bool
        /// PEM files of the CAs trusted for `https://` CRL distribution points, OCSP responders and
        /// TSAs; empty: such URLs are refused.
        public var httpsTrust: [String]

        public init(
            signatureForm: SignatureForm = .bes, tsa: String? = nil, networkTimeout: Int = 10, offline: Bool = false,
            requireRevocation: Bool = false, requireQualified: Bool = true, ocspResponder: String? = nil, crlCache: String? = nil,
            allowLegacyAlgorithms: Bool = false, httpsTrust: [String] = []
        ) {
            self.httpsTrust = httpsTrust
            self.signatureForm = signatureForm
            self.tsa = tsa
            self.networkTimeout = networkTimeout
            self.offline = offline
            self.requireRevocation = requireRevocation
            self.requireQualified = requireQualified
            self.ocspResponder = ocspResponder
            self.crlCache = crlCache
            self.allowLegacyAlgorithms = allowLegacyAlgorithms
        }
    }

    /// Where the directory, regulations and calendar come from.
    public struct DocumentSettings: Sendable, Equatable {
        public var directory: String?
        public var regulations: String?
        /// A calendar file adding or replacing years of the bundled one.
        public var calendar: String?
        /// For a year the calendar does not cover: `labour-code` (the default: deadlines are computed by
        /// Labour Code art. 112 and marked provisional) or `none` (strict: such a deadline is an error).
        public var calendarFallback: String

        public init(
            directory: String? = nil, regulations: String? = nil, calendar: String? = nil,
            calendarFallback: String = "labour-code"
        ) {
            self.directory = directory
            self.regulations = regulations
            self.calendar = calendar
            self.calendarFallback = calendarFallback
        }
    }
}
