import ArgumentParser
import Foundation
import MezhvedCore
import MezhvedXMLDSig

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verifies the XML signature of one or more documents against trusted CAs.",
        discussion: """
            Exit status 0 only when every document's signature is valid and its signer chains to a CA in \
            a --trust folder; 1 when a signature is invalid, 2 when indeterminate (untrusted, expired, \
            revoked), 3 when a document is unusable. With several documents the worst status wins.

            --report text|json validates each signature as a qualified electronic signature (63-FZ \
            art. 11): XAdES signing time and timestamps, the path at the signing time, revocation from \
            CRL files, CRL distribution points and OCSP over HTTP, the Russian qualified-certificate \
            items and the letterhead match, and prints an ETSI EN 319 102-1 style report. Its exit \
            status: 0 TOTAL-PASSED and qualified, 1 TOTAL-FAILED, 2 INDETERMINATE, 9 TOTAL-PASSED but \
            not a qualified signature.
            """)

    @Argument(help: "The signed XML documents (- for standard input).")
    var files: [String] = []

    @Option(
        name: .customLong("files-from"),
        help: "A file naming more documents, one path per line (- for standard input): for batches too long for a command line.")
    var filesFrom: String?

    @Option(name: .customLong("trust"), help: "A folder of trusted CA certificates (PEM); may be repeated.")
    var trust: [String] = []

    @Option(name: .customLong("crl"), help: "A CRL file (PEM or DER) to check revocation with; may be repeated.")
    var crl: [String] = []

    @Option(
        name: .customLong("untrusted"),
        help: "A PEM file of intermediate CA certificates to build the path with (not trusted by themselves); may be repeated.")
    var untrusted: [String] = []

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Option(help: "Check certificates at this moment (ISO 8601, e.g. 2026-03-01T12:00:00Z) instead of now.")
    var at: String?

    @Flag(name: .customLong("allow-legacy"), help: "Accept MD5 and SHA-1 (reported as weak) instead of refusing them.")
    var allowLegacy = false

    @Option(name: .customLong("references"), help: "How many references the signature must have.")
    var referenceCount: Int = 1

    @Option(
        name: .customLong("expect-reference"),
        help: "Require this reference URI (\"\" for the whole document, #Id); may be repeated, in order.")
    var expectReference: [String] = []

    @Flag(name: .customLong("show-signed"), help: "Print the exact signed content (canonical form) after the result.")
    var showSigned = false

    @OptionGroup(title: "Qualified validation (--report)")
    var qualified: QualifiedOptions

    mutating func validate() throws {
        if let filesFrom { files += try readFileList(filesFrom, option: "--files-from") }
        if trust.isEmpty { throw ValidationError("give at least one --trust folder of trusted CA certificates") }
        if files.isEmpty { throw ValidationError("give the document(s) to verify") }
        if referenceCount < 1 { throw ValidationError("--references must be at least 1") }
        if at != nil && time == nil { throw ValidationError("--at \(at!) is not an ISO 8601 time such as 2026-03-01T12:00:00Z") }
        if !expectReference.isEmpty && expectReference.count != referenceCount {
            throw ValidationError("--expect-reference is given \(expectReference.count) times but --references is \(referenceCount)")
        }
        if qualified.report == nil && qualified.usesQualifiedOptions {
            throw ValidationError(
                "--require-revocation, --ocsp-responder, --offline, --crl-cache, --https-trust and --no-letterhead need --report text|json")
        }
        if let responder = qualified.ocspResponder,
            !(responder.lowercased().hasPrefix("http://")
                || (!qualified.httpsTrust.isEmpty && responder.lowercased().hasPrefix("https://")))
        {
            throw ValidationError(
                "--ocsp-responder \(responder) is not an http:// URL (OCSP responses are signed, so plain HTTP is what OCSP uses; https:// needs --https-trust)"
            )
        }
        if qualified.fetchTimeout < 1 || qualified.fetchTimeout > 600 { throw ValidationError("--fetch-timeout must be 1 to 600 seconds") }
        if qualified.report != nil && (json || showSigned) {
            throw ValidationError("--report prints its own text or JSON: leave out --json and --show-signed")
        }
    }

    /// The options whose empty value means something: `--expect-reference ""` is the whole document.
    static let optionsWithEmptyValues: Set<String> = ["--expect-reference"]

    /// `arguments` with each `--option=` of `optionsWithEmptyValues` (the attached form, empty)
    /// given as `--option ""`: ArgumentParser reads an empty attached value as a missing one.
    /// Nothing after a `--` terminator is touched: it is a file name.
    static func splittingEmptyAttachedValues(_ arguments: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(arguments.count)
        var terminated = false
        for argument in arguments {
            if !terminated, argument.hasSuffix("="), optionsWithEmptyValues.contains(String(argument.dropLast())) {
                result += [String(argument.dropLast()), ""]
                continue
            }
            if argument == "--" { terminated = true }
            result.append(argument)
        }
        return result
    }

    var time: Date? {
        guard let at else { return nil }
        return ISOTime.dateOrDay(at)
    }

    func run() async throws {
        if let format = qualified.report {
            return try await runQualified(format: format)
        }
        let store = try TrustStore(directories: trust, crlFiles: crl)
        let policy = VerificationPolicy(
            expectedReferenceCount: referenceCount, expectedReferenceURIs: expectReference.isEmpty ? nil : expectReference,
            allowLegacyAlgorithms: allowLegacy, validationTime: time, retainSignedContent: showSigned)
        let intermediates = try untrusted.flatMap { try Certificate.load(contentsOf: $0) }
        let verifier = SignatureVerifier(trustStore: store, policy: policy, intermediates: intermediates)
        var worst = ExitCode.success
        var results: [JSONResult<VerificationReport>] = []
        // Documents are verified on all cores; results are reported in the order given.
        // The text of each report is written by the worker that verified it, so that only the
        // output itself is serial.
        let inputs = files
        let asText = !json
        let outcomes: [Result<(VerificationReport, String), XMLDSigError>] = parallelMap(inputs.count) { index in
            do {
                let (bytes, name) = try readInput(inputs[index])
                let report = try verifier.verify(bytes, sourceName: name)
                return .success((report, asText ? text(report) : ""))
            } catch let error as XMLDSigError {
                return .failure(error)
            } catch {
                return .failure(XMLDSigError(.internalFailure, "\(inputs[index]): \(error)"))
            }
        }
        var output = FileOutput.standardOutput
        for (file, outcome) in zip(inputs, outcomes) {
            switch outcome {
            case .success(let (report, text)):
                results.append(.report(report))
                if asText { output.write(text) }
                worst = worse(worst, ExitCode.forStatus(report.status))
            case .failure(let error):
                output.flush()
                Output.error(error.description)
                results.append(.unusable(document: file == "-" ? "standard input" : file, error: error))
                worst = worse(worst, ExitCode.forError(error))
            }
        }
        output.flush()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            let data = files.count == 1 ? try encoder.encode(results[0]) : try encoder.encode(results)
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
        if worst != .success { throw worst }
    }

    func worse(_ a: ExitCode, _ b: ExitCode) -> ExitCode {
        // Unusable input outranks a judged signature; invalid outranks indeterminate.
        let rank: (ExitCode) -> Int = { code in
            switch code.rawValue {
            case 0: return 0
            case 2: return 1
            case 1: return 2
            default: return 3 + Int(code.rawValue)
            }
        }
        return rank(b) > rank(a) ? b : a
    }

    /// The text report of one document, ending with a newline.
    @Sendable func text(_ report: VerificationReport) -> String {
        let label: String
        switch report.status {
        case .valid: label = "VALID"
        case .invalid: label = "INVALID"
        case .indeterminate: label = "INDETERMINATE"
        }
        var lines = ["\(label): \(report.document)"]
        if let signer = report.signer {
            lines.append("  signer:     \([signer.commonName, signer.organization].compactMap { $0 }.joined(separator: ", "))")
            lines.append("  subject:    \(signer.subject)")
            lines.append("  issuer:     \(signer.issuer)")
            lines.append("  serial:     \(signer.serialNumber)")
            lines.append("  valid:      \(ISOTime.string(signer.notBefore)) to \(ISOTime.string(signer.notAfter))")
        }
        if let algorithm = report.signatureAlgorithm {
            lines.append("  algorithm:  \(SignatureAlgorithm(rawValue: algorithm)?.displayName ?? algorithm)")
        }
        for reference in report.references {
            lines.append(
                "  signed:     \(reference.coverage), URI=\"\(reference.uri)\"\(reference.includesComments ? ", comments included" : "")")
        }
        if !report.chain.isEmpty {
            lines.append("  chain:      " + report.chain.map { $0.commonName ?? $0.subject }.joined(separator: " <- "))
        }
        if let xades = report.xades {
            let time = xades.signingTime.map { ISOTime.string($0) } ?? "none"
            let binding = xades.signingCertificateBound ? "certificate bound" : "certificate NOT bound"
            lines.append("  xades:      \(xades.level.rawValue), signing time \(time) (claimed by the signer), \(binding)")
            lines += xades.declared.lines.map { "  declared:   \($0)" }
            for stamp in xades.timestamps {
                let when = ISOTime.string(stamp.genTime)
                let tsa = stamp.tsa.map { $0.commonName ?? $0.subject } ?? "unknown TSA"
                let verdict = stamp.isValid ? "valid" : (stamp.signatureValid && stamp.imprintMatches ? "TSA not trusted" : "NOT valid")
                lines.append("  timestamp:  \(when) by \(tsa) (\(verdict))")
            }
        }
        for problem in report.problems { lines.append("  ✗ \(problem.check.rawValue): \(problem.message)") }
        for warning in report.warnings { lines.append("  ! \(warning)") }
        if showSigned {
            for reference in report.references {
                if let content = reference.signedContent {
                    lines.append("----- signed content of URI=\"\(reference.uri)\" -----")
                    lines.append(String(decoding: content, as: UTF8.self))
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

}

/// One document's entry in `verify --json` and `verify --report json`: its report, or why it could
/// not be judged.
enum JSONResult<Report: Encodable>: Encodable {
    case report(Report)
    case unusable(document: String, error: XMLDSigError)

    private enum Keys: String, CodingKey { case document, status, error, code, message, hint }

    func encode(to encoder: Encoder) throws {
        switch self {
        case .report(let report):
            try report.encode(to: encoder)
        case .unusable(let document, let error):
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(document, forKey: .document)
            try container.encode("unusable", forKey: .status)
            var nested = container.nestedContainer(keyedBy: Keys.self, forKey: .error)
            try nested.encode(error.code.rawValue, forKey: .code)
            try nested.encode(error.message, forKey: .message)
            try nested.encodeIfPresent(error.hint, forKey: .hint)
        }
    }
}
