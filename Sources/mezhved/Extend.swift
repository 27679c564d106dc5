import ArgumentParser
import Foundation
import MezhvedValidation
import MezhvedXMLDSig

private typealias ValidationError = ArgumentParser.ValidationError

/// `mezhved extend FILE --to lt|lta`: adds validation data or an archive timestamp to a signature
/// made earlier (docs/xades.md), validating it first; nothing signed changes.
struct Extend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extend",
        abstract: "Extends an XAdES signature: T to LT (validation data), LT to LTA, or LTA once more (a new archive timestamp).",
        discussion: """
            The signature is validated now as `verify --report` would (--trust, --untrusted, --crl, --ocsp-responder) and \
            must be TOTAL-PASSED. --to lt adds the certificates and the CRLs/OCSP responses that validated it; --to lta adds \
            an archive timestamp from --tsa over the signature and everything it carries (to an LTA signature: first the \
            last archive timestamp's TSA certificates, then a new stamp). Renew an LTA signature before its last stamp's \
            TSA certificate expires. Exit 10 when it cannot be done: nothing is written then.
            """)

    @Argument(help: "The signed XML document, or - for standard input.") var file: String

    @Option(help: "lt or lta.") var to: String

    @Option(name: .shortAndLong, help: "Where to write the extended document (default: standard output). Written 0600.")
    var output: String?

    @Option(help: "The RFC 3161 time-stamping authority's http:// URL (needed by --to lta).") var tsa: String?

    @Option(name: .customLong("tsa-timeout"), help: "Seconds to wait for the time-stamping authority (default 10).")
    var tsaTimeout: Int?

    @Option(name: .customLong("trust"), help: "Trusted CA folders to validate the signature with; may be repeated.")
    var trust: [String] = []

    @Option(name: .customLong("untrusted"), help: "Intermediate CA certificates (PEM) to build the path with.")
    var untrusted: [String] = []

    @Option(name: .customLong("crl"), help: "CRL files to use beside the certificates' distribution points.")
    var crl: [String] = []

    @Option(name: .customLong("ocsp-responder"), help: "An OCSP responder URL to ask beside the certificates' AIA.")
    var ocspResponder: String?

    func validate() throws {
        guard to == "lt" || to == "lta" else { throw ValidationError("--to \(to): give lt or lta") }
        if to == "lta" && tsa == nil { throw ValidationError("--to lta needs --tsa URL: the archive timestamp comes from a TSA") }
        if to == "lt" && tsa != nil { throw ValidationError("--tsa is only used with --to lta") }
        if trust.isEmpty { throw ValidationError("give --trust DIR: the signature is validated before it is extended") }
        if let tsaTimeout, tsaTimeout < 1 || tsaTimeout > 600 { throw ValidationError("--tsa-timeout must be 1 to 600 seconds") }
        if let tsa, !tsa.lowercased().hasPrefix("http://") { throw ValidationError("--tsa \(tsa) is not an http:// URL") }
    }

    func run() async throws {
        let (bytes, name) = try readInput(file)
        let validator = try XAdESOptions.longTermValidator(
            trust: trust, untrusted: untrusted, crl: crl, ocspResponder: ocspResponder, timeout: tsaTimeout ?? 10, httpsTrust: [])
        let extended: [UInt8]
        do {
            extended = try await LongTermExtension.extend(
                bytes, sourceName: name, to: to == "lta" ? .lta : .lt, validator: validator,
                timestamper: tsa.map { RFC3161Timestamper(url: $0, transport: OpenSSLHTTPTransport(timeout: .seconds(tsaTimeout ?? 10))) })
        } catch let error as MezhvedValidation.ValidationError where error.code == .longTermFailed {
            Output.error("\(name) was not extended: \(error.description)")
            throw ExitCode.serviceUnavailable
        }
        if let output {
            try writeOutput(extended, to: output)
        } else {
            FileHandle.standardOutput.write(Data(extended))
        }
    }
}
