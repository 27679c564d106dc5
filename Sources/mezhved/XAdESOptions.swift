import ArgumentParser
import Foundation
import MezhvedGateway
import MezhvedValidation
import MezhvedXMLDSig

private typealias ValidationError = ArgumentParser.ValidationError

/// `--xades bes|t`, `--tsa URL`, `--tsa-timeout S`: the XAdES form of a signature made on the
/// command line, by `sign` and by `request new`, `answer new` and `receipt new` with `--key`.
struct XAdESOptions: ParsableArguments {
    @Option(
        help:
            "Add XAdES qualifying properties: bes (signing time, signing certificate), t (bes plus a TSA timestamp), lt (t plus the certificates and CRLs/OCSP responses that validate it, for validation after they are gone) or lta (lt plus an archive timestamp over all of it, renewable with `mezhved extend --to lta`)."
    )
    var xades: String?

    @Option(help: "The RFC 3161 time-stamping authority's http:// URL (needed by --xades t).")
    var tsa: String?

    @Option(name: .customLong("tsa-timeout"), help: "Seconds to wait for the time-stamping authority (default 10).")
    var tsaTimeout: Int?

    @Option(
        name: .customLong("archive-tsa"),
        help: "With --xades lta: the TSA of the archive timestamp, when not --tsa (one whose certificate outlives the first's).")
    var archiveTSA: String?

    @Option(name: .customLong("trust"), help: "With --xades lt: trusted CA folders to validate the signature with; may be repeated.")
    var trust: [String] = []

    @Option(name: .customLong("untrusted"), help: "With --xades lt: intermediate CA certificates (PEM) to build the path with.")
    var untrusted: [String] = []

    @Option(name: .customLong("crl"), help: "With --xades lt: CRL files to use beside the certificates' distribution points.")
    var crl: [String] = []

    @Option(name: .customLong("ocsp-responder"), help: "With --xades lt: an OCSP responder URL to ask beside the certificates' AIA.")
    var ocspResponder: String?

    @Option(
        name: .customLong("https-trust"),
        help: "PEM CA certificates trusted for https:// TSAs, CRL distribution points and OCSP responders; may be repeated.")
    var httpsTrust: [String] = []

    /// The trust for https:// sources, when given.
    var https: HTTPSTrust? { httpsTrust.isEmpty ? nil : HTTPSTrust(caFiles: httpsTrust) }

    /// What the signer makes: XAdES-LT is XAdES-T extended afterwards.
    var level: XAdESLevel? { longTerm ? .t : requested }

    /// `--xades lt` or `lta`.
    var longTerm: Bool { requested == .lt || requested == .lta }

    /// `--xades lta`.
    var archiveStamp: Bool { requested == .lta }

    private var requested: XAdESLevel? {
        switch xades {
        case "bes": return .bes
        case "t": return .t
        case "lt": return .lt
        case "lta": return .lta
        default: return nil
        }
    }

    var isGiven: Bool { xades != nil || tsa != nil || tsaTimeout != nil }

    func validate() throws {
        if let xades, requested == nil { throw ValidationError("unknown --xades \(xades); give bes, t, lt or lta") }
        if archiveTSA != nil && !archiveStamp { throw ValidationError("--archive-tsa is only used with --xades lta") }
        if let archiveTSA, !archiveTSA.lowercased().hasPrefix("http://") && !(https != nil && archiveTSA.lowercased().hasPrefix("https://"))
        {
            throw ValidationError("--archive-tsa \(archiveTSA) is not an http:// URL (https:// needs --https-trust)")
        }
        if level == .t && tsa == nil {
            throw ValidationError("--xades \(xades ?? "t") needs --tsa URL: the signature timestamp comes from a TSA")
        }
        if tsa != nil && level != .t { throw ValidationError("--tsa is only used with --xades t, lt or lta") }
        if longTerm && trust.isEmpty {
            throw ValidationError(
                "--xades \(xades ?? "lt") needs --trust DIR: the signature is validated before its validation data are added")
        }
        if !longTerm && (!trust.isEmpty || !untrusted.isEmpty || !crl.isEmpty || ocspResponder != nil) {
            throw ValidationError("--trust, --untrusted, --crl and --ocsp-responder are only used with --xades lt or lta")
        }
        if tsaTimeout != nil && tsa == nil { throw ValidationError("--tsa-timeout is only used with --tsa") }
        if let tsaTimeout, tsaTimeout < 1 || tsaTimeout > 600 { throw ValidationError("--tsa-timeout must be 1 to 600 seconds") }
        if let tsa, !(tsa.lowercased().hasPrefix("http://") || (https != nil && tsa.lowercased().hasPrefix("https://"))) {
            throw ValidationError(
                "--tsa \(tsa) is not an http:// URL (timestamps are signed, so plain HTTP is what RFC 3161 uses; https:// needs --https-trust)"
            )
        }
    }

    /// The time-stamping authority's client for `--xades t`.
    var timestamper: RFC3161Timestamper? {
        tsa.map {
            RFC3161Timestamper(url: $0, transport: OpenSSLHTTPTransport(timeout: .seconds(tsaTimeout ?? 10), httpsTrust: https))
        }
    }

    /// The archive timestamp's TSA client (`--archive-tsa`, else `--tsa`).
    var archiveTimestamper: RFC3161Timestamper? {
        (archiveTSA ?? tsa).map {
            RFC3161Timestamper(url: $0, transport: OpenSSLHTTPTransport(timeout: .seconds(tsaTimeout ?? 10), httpsTrust: https))
        }
    }

    /// The validator that decides, before validation data or an archive timestamp are added, that
    /// the signature holds.
    func longTermValidator() throws -> QualifiedValidator {
        try Self.longTermValidator(
            trust: trust, untrusted: untrusted, crl: crl, ocspResponder: ocspResponder, timeout: tsaTimeout ?? 10, httpsTrust: httpsTrust)
    }

    /// The same from the options of `mezhved extend`.
    static func longTermValidator(
        trust: [String], untrusted: [String], crl: [String], ocspResponder: String?, timeout: Int, httpsTrust: [String]
    ) throws -> QualifiedValidator {
        try ValidatorSetup(
            trust: GatewayConfiguration.TrustSettings(anchors: trust, intermediates: untrusted, crls: crl),
            policy: GatewayConfiguration.PolicySettings(networkTimeout: timeout, ocspResponder: ocspResponder, httpsTrust: httpsTrust),
            checkLetterhead: false
        ).make()
    }

    /// For `--xades lt`: `signed` (XAdES-T) validated now and extended with its validation data;
    /// for `lta` then also with an archive timestamp (exit 10 when either cannot be had: nothing
    /// is written); otherwise `signed` as it is.
    func extendIfAsked(_ signed: [UInt8], sourceName: String) async throws -> [UInt8] {
        guard longTerm else { return signed }
        let validator = try longTermValidator()
        do {
            return try await LongTermExtension.extend(
                signed, sourceName: sourceName, to: archiveStamp ? .lta : .lt, validator: validator, timestamper: archiveTimestamper)
        } catch let error as MezhvedValidation.ValidationError where error.code == .longTermFailed {
            Output.error("\(sourceName) was not signed as \(archiveStamp ? "XAdES-LTA" : "XAdES-LT"): \(error.description)")
            throw ExitCode.serviceUnavailable
        }
    }
}
