import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import NIOSSL

/// The peers' pinned TLS certificates: who a presented certificate is, and the TLS configurations
/// of the server (a client certificate required, only a pinned one accepted) and of the client
/// towards each peer (only its pinned certificate accepted as the server's).
public struct PeerPins: Sendable {
    /// SHA-256 of the certificate's DER → the peer's agency.
    private let agencyByFingerprint: [String: String]
    private let certificateByAgency: [String: NIOSSLCertificate]

    /// Loads every peer's pinned certificate; a missing or unreadable one is an error naming it.
    public init(_ exchange: GatewayConfiguration.ExchangeSettings) throws {
        var byFingerprint: [String: String] = [:]
        var byAgency: [String: NIOSSLCertificate] = [:]
        for peer in exchange.peers {
            guard let path = peer.tlsCertificate else { continue }
            let certificate: NIOSSLCertificate
            do {
                guard let first = try NIOSSLCertificate.fromPEMFile(path).first else {
                    throw ServerSetupError("no certificate in the file")
                }
                certificate = first
            } catch {
                throw ServerSetupError("exchange.peers: the TLS certificate of \(peer.agency), \(path), cannot be read as PEM: \(error)")
            }
            let fingerprint = try Self.fingerprint(certificate)
            if let other = byFingerprint[fingerprint] {
                throw ServerSetupError("exchange.peers: \(peer.agency) and \(other) pin the same TLS certificate \(path)")
            }
            byFingerprint[fingerprint] = peer.agency
            byAgency[peer.agency] = certificate
        }
        self.agencyByFingerprint = byFingerprint
        self.certificateByAgency = byAgency
    }

    /// The agency whose pinned certificate this is.
    public func agency(presenting certificate: NIOSSLCertificate) -> String? {
        (try? Self.fingerprint(certificate)).flatMap { agencyByFingerprint[$0] }
    }

    static func fingerprint(_ certificate: NIOSSLCertificate) throws -> String {
        ArchiveDigest.sha256Hex(try certificate.toDERBytes())
    }

    /// The server's TLS configuration: its identity, TLS 1.2+, a client certificate required.
    /// Pinning itself is ``verify(_:)``, the custom verification callback.
    static func serverConfiguration(_ identity: GatewayConfiguration.TLSIdentity) throws -> TLSConfiguration {
        let (chain, key) = try loadIdentity(identity)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }

    /// Accepts a client whose leaf certificate is pinned, whatever its issuer.
    func verify(_ chain: [NIOSSLCertificate]) -> NIOSSLVerificationResult {
        guard let leaf = chain.first, agency(presenting: leaf) != nil else { return .failed }
        return .certificateVerified
    }

    /// The client's TLS configuration towards `agency`: our identity, and the peer's pinned
    /// certificate as the only trust root (a self-signed pin is its own root).
    func clientConfiguration(towards agency: String, identity: GatewayConfiguration.TLSIdentity?) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let identity {
            let (chain, key) = try Self.loadIdentity(identity)
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(key)
        }
        guard let pinned = certificateByAgency[agency] else {
            throw ServerSetupError("exchange.peers: \(agency) has no pinned tlsCertificate; an https:// peer needs one")
        }
        configuration.trustRoots = .certificates([pinned])
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }

    static func loadIdentity(_ identity: GatewayConfiguration.TLSIdentity) throws -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(identity.certificate)
            guard !chain.isEmpty else { throw ServerSetupError("exchange.tls.certificate: \(identity.certificate) holds no certificate") }
            let key = try NIOSSLPrivateKey(file: identity.key, format: .pem)
            return (chain, key)
        } catch let error as ServerSetupError {
            throw error
        } catch {
            throw ServerSetupError(
                "exchange.tls: the certificate \(identity.certificate) or the key \(identity.key) cannot be read as PEM: \(error)")
        }
    }
}

/// The server cannot start as configured (a file, a port, a key); the message says which and why.
public struct ServerSetupError: MezhvedError, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var category: FailureCategory { .configurationInvalid }
    public var hint: String? { "correct the gateway configuration's exchange section (docs/gateway.md), then `mezhved gateway check`" }
    public var description: String { message }
}
