import Foundation
import MezhvedCore
import MezhvedValidation
import MezhvedXMLDSig

/// A person who signs for the gateway's agency: the key unlocked, the certificate and chain
/// loaded, and an ``XMLSigner`` made once. The one place where a signer is set up from files.
public struct Signatory: Sendable {
    /// The id the configuration gives (`--signatory`).
    public let id: String
    /// The signer's certificate.
    public let certificate: Certificate
    /// What the qualified certificate says of its owner and organisation (FSB order 795 fields).
    public let profile: QualifiedCertificateProfile
    /// The signer over the key, the certificate and its chain.
    public let signer: XMLSigner

    /// Loads a signatory's key (with its passphrase), certificate and chain; the signer refuses a
    /// key that does not belong to the certificate. `environment` is where a passphrase variable is looked up.
    public static func load(
        _ settings: GatewayConfiguration.SignatorySettings, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Signatory {
        let passphrase = try Self.passphrase(settings, environment: environment)
        let key = try SigningKey.load(contentsOf: settings.key, passphrase: passphrase)
        let certificates = try Certificate.load(contentsOf: settings.certificate)
        guard let certificate = certificates.first else {
            throw GatewayError(.configurationInvalid, "the certificate file \(settings.certificate) holds no certificate")
        }
        let chain = try settings.chain.map { try Certificate.load(contentsOf: $0) } ?? []
        let signer = try XMLSigner(
            key: key, certificate: certificate, chain: Array(certificates.dropFirst()) + chain, certificateSource: settings.certificate)
        return Signatory(id: settings.id, certificate: certificate, profile: QualifiedCertificateProfile(certificate), signer: signer)
    }

    /// The passphrase of an encrypted key: the first line of its file, or its environment variable.
    static func passphrase(_ settings: GatewayConfiguration.SignatorySettings, environment: [String: String]) throws -> [UInt8]? {
        if let variable = settings.passphraseEnvironment {
            guard let value = environment[variable] else {
                throw GatewayError(
                    .passphraseUnusable, "the environment variable \(variable) that holds the key \(settings.key)'s passphrase is not set",
                    hint: "set it before starting mezhved")
            }
            return Array(value.utf8)
        }
        guard let file = settings.passphraseFile else { return nil }
        switch PassphraseFile.read(file) {
        case .success(let passphrase): return passphrase
        case .failure(let message):
            throw GatewayError(
                .passphraseUnusable, "the passphrase file \(file) \(message)", hint: "give the file holding the key's passphrase")
        }
    }

    /// The owner's name as the certificate gives it (CN, else SN + G).
    public var ownerName: String { profile.signerName ?? certificate.commonName ?? certificate.subject }
}
