import ArgumentParser
import Foundation
import MezhvedGateway
import MezhvedValidation
import MezhvedXMLDSig

/// The options of `verify --report`: qualified-signature validation.
struct QualifiedOptions: ParsableArguments {
    enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "Validate as a qualified signature and print the report as text or json.")
    var report: ReportFormat?

    @Flag(
        name: .customLong("require-revocation"),
        help: "A certificate without any revocation source is INDETERMINATE, not a warning (default when MEZHVED_REQUIRE_REVOCATION=1).")
    var requireRevocation = false

    @Option(name: .customLong("ocsp-responder"), help: "An OCSP responder URL (http://) to ask beside the certificates' own AIA.")
    var ocspResponder: String?

    @Flag(help: "Fetch nothing over the network: only the --crl files are revocation sources.")
    var offline = false

    @Option(name: .customLong("crl-cache"), help: "A folder to keep fetched CRLs in between runs.")
    var crlCache: String?

    @Option(name: .customLong("fetch-timeout"), help: "Seconds to wait for a CRL distribution point or OCSP responder (default 10).")
    var fetchTimeout: Int = 10

    @Flag(name: .customLong("no-letterhead"), help: "Do not check that the signer's organisation is the letterhead's agency.")
    var noLetterhead = false

    @Option(
        name: .customLong("https-trust"),
        help: "PEM CA certificates trusted for https:// CRL distribution points and OCSP responders; may be repeated.")
    var httpsTrust: [String] = []

    var usesQualifiedOptions: Bool {
        requireRevocation || ocspResponder != nil || offline || crlCache != nil || noLetterhead || !httpsTrust.isEmpty
    }

    /// `--require-revocation`, or the gateway's configured default.
    var revocationRequired: Bool {
        if requireRevocation { return true }
        let configured = ProcessInfo.processInfo.environment["MEZHVED_REQUIRE_REVOCATION"]?.lowercased()
        return configured == "1" || configured == "yes" || configured == "true"
    }
}

extension ExitCode {
    static func forReport(_ report: QualifiedValidationReport) -> ExitCode {
        switch report.indication {
        case .totalFailed: return .signatureInvalid
        case .indeterminate: return .signatureIndeterminate
        case .totalPassed: return report.qualification.status == .qualified ? .success : .notQualified
        }
    }
}

extension Verify {
    func runQualified(format: QualifiedOptions.ReportFormat) async throws {
        let setup = ValidatorSetup(
            trust: GatewayConfiguration.TrustSettings(anchors: trust, intermediates: untrusted, crls: crl),
            policy: GatewayConfiguration.PolicySettings(
                networkTimeout: qualified.fetchTimeout, offline: qualified.offline, requireRevocation: qualified.revocationRequired,
                ocspResponder: qualified.ocspResponder, crlCache: qualified.crlCache, allowLegacyAlgorithms: allowLegacy,
                httpsTrust: qualified.httpsTrust),
            expectedReferenceCount: referenceCount, expectedReferenceURIs: expectReference.isEmpty ? nil : expectReference,
            checkLetterhead: !qualified.noLetterhead)
        let validator = try setup.make()
        let moment = time
        let inputs = files
        // Documents are validated concurrently, a few per core (each may wait on OCSP or a CRL);
        // results are reported in the order given.
        let width = 4 * ProcessInfo.processInfo.activeProcessorCount
        let outcomes: [Result<QualifiedValidationReport, XMLDSigError>] = await boundedTaskMap(inputs.count, width: width) { index in
            do {
                let (bytes, name) = try await offThePool { try readInput(inputs[index]) }
                return .success(try await validator.validate(bytes, sourceName: name, at: moment))
            } catch let error as XMLDSigError {
                return .failure(error)
            } catch {
                return .failure(XMLDSigError(.internalFailure, "\(inputs[index]): \(error)"))
            }
        }
        var worst = ExitCode.success
        var results: [JSONResult<QualifiedValidationReport>] = []
        for (file, outcome) in zip(inputs, outcomes) {
            switch outcome {
            case .success(let report):
                results.append(.report(report))
                if format == .text { print(report.renderText()) }
                worst = worse(worst, ExitCode.forReport(report))
            case .failure(let error):
                Output.error(error.description)
                results.append(.unusable(document: file == "-" ? "standard input" : file, error: error))
                worst = worse(worst, ExitCode.forError(error))
            }
        }
        if format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            let data = results.count == 1 ? try encoder.encode(results[0]) : try encoder.encode(results)
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
        if worst != .success { throw worst }
    }
}
