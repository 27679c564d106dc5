import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedXMLDSig

extension GatewayConfiguration {
    /// How the gateway talks to its peers (`mezhved serve`, docs/exchange-protocol.md): where it
    /// listens, its TLS identity, the peers with their pinned certificates, limits, and the outbox's
    /// delivery policy. Absent from a configuration that only signs and registers.
    public struct ExchangeSettings: Sendable, Equatable {
        /// The address the server listens on.
        public var listen: ListenAddress
        /// The server's (and client's) TLS identity; nil means plain HTTP, which is accepted on a
        /// loopback `listen` address only.
        public var tls: TLSIdentity?
        /// The largest document a peer may send, in bytes (default 64 MiB).
        public var maxDocumentSize: Int
        /// Seconds a request may take to arrive whole (default 120).
        public var requestTimeout: Int
        /// The folder where arriving bodies are streamed before they are handled, and where the
        /// checkpoints peers sent are kept (created 0700).
        public var spool: String
        /// Where the API's access tokens are kept, hashed (`mezhved token new`): a file, or the
        /// archive's PostgreSQL store; nil: no API access.
        public var accessTokens: CredentialsPlace?
        /// Where the web pages' users are kept, their passwords as salted slow hashes
        /// (`mezhved user new`): a file, or the archive's PostgreSQL store; nil: the pages are not served.
        public var webUsers: CredentialsPlace?
        /// The gateways this one exchanges with.
        public var peers: [PeerSettings]
        /// Retries, horizon and end of life for outgoing messages.
        public var delivery: DeliverySettings
        /// Seconds between two looks for a new checkpoint to send to the peers (default 30).
        public var gossipInterval: Int

        public init(
            listen: ListenAddress, tls: TLSIdentity? = nil, maxDocumentSize: Int = 64 << 20, requestTimeout: Int = 120, spool: String,
            accessTokens: CredentialsPlace? = nil, webUsers: CredentialsPlace? = nil, peers: [PeerSettings] = [],
            delivery: DeliverySettings = DeliverySettings(), gossipInterval: Int = 30
        ) {
            self.webUsers = webUsers
            self.gossipInterval = gossipInterval
            self.listen = listen
            self.tls = tls
            self.maxDocumentSize = maxDocumentSize
            self.requestTimeout = requestTimeout
            self.spool = spool
            self.accessTokens = accessTokens
            self.peers = peers
            self.delivery = delivery
        }

        /// The peer with this agency id.
        public func peer(_ agency: String) -> PeerSettings? { peers.first { $0.agency == agency } }
    }

    /// Where the API's tokens or the web users are kept: a JSON file of this machine (mode 0600,
    /// the filesystem store's way) or the archive's own store (`archive`: PostgreSQL tables every
    /// node shares).
    public enum CredentialsPlace: Sendable, Equatable, CustomStringConvertible {
        case file(String)
        case archive

        /// The file, when it is one.
        public var file: String? {
            if case .file(let path) = self { return path }
            return nil
        }

        public var description: String {
            switch self {
            case .file(let path): return path
            case .archive: return "the archive's store"
            }
        }
    }

    /// A host and port.
    public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `host:port` (`[::1]:8441` for IPv6).
        public init?(_ text: String) {
            var host: Substring
            let portText: Substring
            if text.hasPrefix("[") {
                guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
                host = text[text.index(after: text.startIndex)..<close]
                portText = text[text.index(close, offsetBy: 2)...]
            } else {
                guard let colon = text.lastIndex(of: ":") else { return nil }
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
            }
            guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
            if host == "localhost" { host = "127.0.0.1" }
            self.host = String(host)
            self.port = port
        }

        /// 127.0.0.0/8 or ::1: reachable from this machine only.
        public var isLoopback: Bool {
            host == "::1" || host.split(separator: ".").first == "127" && host.split(separator: ".").count == 4
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// A TLS certificate and its private key (PEM files).
    public struct TLSIdentity: Sendable, Equatable {
        public var certificate: String
        public var key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// A peer gateway.
    public struct PeerSettings: Sendable, Equatable {
        /// The peer's agency (a directory id).
        public var agency: String
        /// Its server's base URL (`https://host:port`); nil when the peer cannot accept connections
        /// and fetches what is queued for it (pull).
        public var url: String?
        /// Fetch the messages this peer queues for us (this gateway cannot accept connections).
        public var pull: Bool
        /// The peer's TLS certificate, pinned: the only one accepted from it, as client and server.
        public var tlsCertificate: String?
        /// The certificate the peer signs its checkpoints with (to keep them as its witness).
        public var gatewayCertificate: String?

        public init(
            agency: String, url: String? = nil, pull: Bool = false, tlsCertificate: String? = nil, gatewayCertificate: String? = nil
        ) {
            self.agency = agency
            self.url = url
            self.pull = pull
            self.tlsCertificate = tlsCertificate
            self.gatewayCertificate = gatewayCertificate
        }
    }

    /// The outbox's delivery policy, in seconds.
    public struct DeliverySettings: Sendable, Equatable {
        /// The wait after the first failed attempt; doubled after each further one (with jitter).
        public var firstRetry: Int
        /// The longest wait between two attempts.
        public var maximumRetry: Int
        /// A message without a receipt this long after it was queued becomes failed.
        public var retryHorizon: Int
        /// The end of life given to a message when it is queued.
        public var messageLifetime: Int
        /// Seconds one delivery attempt may take.
        public var attemptTimeout: Int
        /// Deliveries under way at once.
        public var concurrency: Int

        public init(
            firstRetry: Int = 10, maximumRetry: Int = 3600, retryHorizon: Int = 3 * 86400, messageLifetime: Int = 14 * 86400,
            attemptTimeout: Int = 60, concurrency: Int = 4
        ) {
            self.firstRetry = firstRetry
            self.maximumRetry = maximumRetry
            self.retryHorizon = retryHorizon
            self.messageLifetime = messageLifetime
            self.attemptTimeout = attemptTimeout
            self.concurrency = concurrency
        }
    }
}

extension GatewayConfiguration.ExchangeSettings {
    /// What is wrong with the files and names the section points at (checked by ``Gateway/open(_:environment:)``).
    func fileProblems(knownAgencies: Set<String>?) -> [String] {
        var problems: [String] = []
        func file(_ path: String?, _ key: String) {
            guard let path else { return }
            var isFolder: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) || isFolder.boolValue {
                problems.append("\(key): \(path) is not a file")
            } else if !FileManager.default.isReadableFile(atPath: path) {
                problems.append("\(key): \(path) cannot be read")
            }
        }
        file(tls?.certificate, "exchange.tls.certificate")
        file(tls?.key, "exchange.tls.key")
        for (index, peer) in peers.enumerated() {
            file(peer.tlsCertificate, "exchange.peers[\(index)].tlsCertificate")
            // As a client the gateway makes the pinned certificate its only trust root, which TLS
            // accepts for a self-signed certificate only.
            if peer.url?.lowercased().hasPrefix("https://") == true, let path = peer.tlsCertificate,
                let certificate = try? Certificate.load(contentsOf: path).first, certificate.subject != certificate.issuer
            {
                problems.append(
                    "exchange.peers[\(index)].tlsCertificate: \(path) is issued by \(certificate.issuer), not self-signed; a peer this gateway connects to is pinned by its own self-signed TLS certificate (the only trust root; Certificates/make-tls-pki.sh shows how to make one)"
                )
            }
            file(peer.gatewayCertificate, "exchange.peers[\(index)].gatewayCertificate")
            if let knownAgencies, !knownAgencies.contains(peer.agency) {
                problems.append(
                    "exchange.peers[\(index)].agency: \(peer.agency) is not in the agency directory"
                        + (NearestName.suggestion(for: peer.agency, among: knownAgencies.sorted()).map { " — did you mean \($0)?" } ?? ""))
            }
        }
        return problems
    }
}

extension OutboxPolicy {
    /// The policy the configuration's `exchange.delivery` section sets.
    public init(_ delivery: GatewayConfiguration.DeliverySettings) {
        self.init(
            firstRetry: .seconds(delivery.firstRetry), maximumRetry: .seconds(delivery.maximumRetry),
            retryHorizon: .seconds(delivery.retryHorizon), messageLifetime: .seconds(delivery.messageLifetime))
    }
}

extension Gateway {
    /// The outbox over `registrar` with the configuration's delivery policy (the defaults without an exchange section).
    public func outbox(registrar: Registrar) -> Outbox {
        Outbox(
            gateway: self, registrar: registrar, policy: configuration.exchange.map { OutboxPolicy($0.delivery) } ?? OutboxPolicy(),
            claimLease: .seconds((configuration.exchange?.delivery.attemptTimeout ?? 60) + 30))
    }
}
