import Foundation
import MezhvedCore
import MezhvedValidation
import MezhvedXMLDSig

/// A person who signs for the gateway's agency: the certificate and chain loaded, and the key
/// either unlocked once (an ``XMLSigner`` made when the gateway opens) or kept encrypted and
/// unlocked by its owner's passphrase for each signing (`unlock: per-signing`). The one place
/// where a signer is set up from files.
public struct Signatory: Sendable {
    /// The id the configuration gives (`--signatory`).
    public let id: String
    /// The signer's certificate.
    public let certificate: Certificate
    /// What the qualified certificate says of its owner and organisation (FSB order 795 fields).
    public let profile: QualifiedCertificateProfile
    private let key: Key

    private enum Key: Sendable {
        /// Unlocked when the gateway opened.
        case unlocked(XMLSigner)
        /// The encrypted PEM as read at start (a file changed later does not change the signer),
        /// with what a signer needs besides the key.
        case locked(pem: [UInt8], source: String, chain: [Certificate], certificateSource: String)
    }

    /// Whether each signing needs its owner's passphrase (``signer(passphrase:)``).
    public var unlocksPerSigning: Bool {
        if case .locked = key { return true }
        return false
    }

    /// Loads a signatory's key (with its passphrase), certificate and chain; the signer refuses a
    /// key that does not belong to the certificate. `environment` is where a passphrase variable is
    /// looked up. A key unlocked per signing is read and must be encrypted; its fit with the
    /// certificate is checked at its first signing.
    public static func load(
        _ settings: GatewayConfiguration.SignatorySettings, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Signatory {
        let certificates = try Certificate.load(contentsOf: settings.certificate)
        guard let certificate = certificates.first else {
            throw GatewayError(.configurationInvalid, "the certificate file \(settings.certificate) holds no certificate")
        }
        let chain = Array(certificates.dropFirst()) + (try settings.chain.map { try Certificate.load(contentsOf: $0) } ?? [])
        let key: Key
        switch settings.unlock {
        case .atStart:
            let passphrase = try Self.passphrase(settings, environment: environment)
            let signingKey = try SigningKey.load(contentsOf: settings.key, passphrase: passphrase)
            key = .unlocked(try XMLSigner(key: signingKey, certificate: certificate, chain: chain, certificateSource: settings.certificate))
        case .perSigning:
            let pem = try Self.encryptedKey(settings.key)
            key = .locked(pem: pem, source: settings.key, chain: chain, certificateSource: settings.certificate)
        }
        return Signatory(id: settings.id, certificate: certificate, profile: QualifiedCertificateProfile(certificate), key: key)
    }

    /// The signer for one signing. A key unlocked at start ignores `passphrase`; a key unlocked per
    /// signing is decrypted with it (nothing kept: the signer returned owns the only decrypted copy).
    /// - Throws: ``GatewayError/Code/passphraseRequired`` without a passphrase,
    ///   ``GatewayError/Code/passphraseWrong`` when it does not decrypt the key.
    public func signer(passphrase: [UInt8]? = nil) throws -> XMLSigner {
        switch key {
        case .unlocked(let signer): return signer
        case .locked(let pem, let source, let chain, let certificateSource):
            guard let passphrase, !passphrase.isEmpty else {
                throw GatewayError(
                    .passphraseRequired,
                    "the signatory \(id)'s key is unlocked for each signing and no passphrase was given; nothing was signed",
                    hint: "give the key's passphrase with the signing")
            }
            let signingKey: SigningKey
            do {
                signingKey = try SigningKey.load(pem: pem, passphrase: passphrase, source: source)
            } catch let error as XMLDSigError where error.code == .keyUnusable {
                // OpenSSL's reason is kept in the hint: a key that decrypts but cannot sign (another
                // algorithm) is refused with the same code and must not read as a mistyped passphrase.
                throw GatewayError(
                    .passphraseWrong, "the passphrase does not unlock the signatory \(id)'s key; nothing was signed",
                    hint: "type the key's passphrase again (\(error.message))")
            }
            return try XMLSigner(key: signingKey, certificate: certificate, chain: chain, certificateSource: certificateSource)
        }
    }

    /// The PEM of a key to be unlocked per signing: it must be encrypted (PKCS#8), or "per signing"
    /// would protect nothing.
    static func encryptedKey(_ path: String) throws -> [UInt8] {
        let pem = try readFile(path, what: "key file", limit: InputLimits.keyMaterial)
        guard String(decoding: pem, as: UTF8.self).contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") else {
            throw GatewayError(
                .configurationInvalid, "the key \(path) is not encrypted, so it cannot be unlocked per signing",
                hint: "encrypt it (openssl pkcs8 -topk8 -v2 aes-256-cbc -in KEY -out KEY.enc) or set unlock: at-start")
        }
        return pem
    }

    /// The passphrase of an encrypted key: the first line of its file, or its environment variable.
    static func passphrase(_ settings: GatewayConfiguration.SignatorySettings, environment: [String: String]) throws -> [UInt8]? {
        try readPassphrase(
            file: settings.passphraseFile, variable: settings.passphraseEnvironment, of: "the key \(settings.key)", environment: environment
        )
    }

    /// A passphrase from an environment variable or from the first line of a file (nil when neither
    /// is named); `what` names the key in the messages.
    public static func readPassphrase(
        file: String?, variable: String?, of what: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> [UInt8]? {
        if let variable {
            guard let value = environment[variable] else {
                throw GatewayError(
                    .passphraseUnusable, "the environment variable \(variable) that holds \(what)'s passphrase is not set",
                    hint: "set it before starting mezhved")
            }
            return Array(value.utf8)
        }
        guard let file else { return nil }
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
