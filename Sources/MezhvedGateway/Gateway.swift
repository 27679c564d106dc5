import Foundation
import MezhvedCore
import MezhvedDocuments
import MezhvedValidation
import MezhvedXMLDSig

/// A gateway ready to work: its configuration checked as a whole, the directory and calendar
/// loaded, every signatory's key unlocked, the validator for incoming documents set up — each once.
/// The workflows (``OutgoingWorkflow``, ``IncomingWorkflow``) run on it; the command line, the
/// server and the pages only call them.
public final class Gateway: Sendable {
    /// What the gateway was opened from.
    public let configuration: GatewayConfiguration
    /// The directory, regulations and calendar.
    public let documents: DocumentContext
    /// The agency the gateway acts for.
    public let agency: Agency
    /// The people who sign for the agency, in the configuration's order.
    public let signatories: [Signatory]
    /// The validator of incoming signatures (qualified validation with the gateway's policy).
    public let validator: QualifiedValidator
    /// How the gateway's own signatures are made (XAdES form, timestamps).
    public let signingOptions: SigningOptions

    init(
        configuration: GatewayConfiguration, documents: DocumentContext, agency: Agency, signatories: [Signatory],
        validator: QualifiedValidator, signingOptions: SigningOptions
    ) {
        self.configuration = configuration
        self.documents = documents
        self.agency = agency
        self.signatories = signatories
        self.validator = validator
        self.signingOptions = signingOptions
    }

    /// Opens a gateway from its configuration, checking everything it names — the agency in the
    /// directory, every key against its certificate and the agency, the trust anchors, CRLs and
    /// intermediates — and listing every problem in one ``GatewayError``.
    public static func open(_ configuration: GatewayConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> Gateway
    {
        var problems: [String] = []
        func attempt<T>(_ what: String, _ body: () throws -> T) -> T? {
            do {
                return try body()
            } catch let error as GatewayError {
                problems.append(error.message + (error.hint.map { " — \($0)" } ?? ""))
                problems.append(contentsOf: error.problems)
            } catch let error as DocumentError {
                problems.append("\(what): \(error.message)")
                problems.append(contentsOf: error.problems.map(\.description))
            } catch {
                problems.append("\(what): \(error)")
            }
            return nil
        }
        let documents = attempt("the documents' directory and calendar") { try configuration.documents.loadContext() }
        var agency: Agency?
        if let documents {
            agency = documents.directory.agency(id: configuration.agency)
            if agency == nil {
                let known = documents.directory.agencies.map(\.id)
                problems.append(
                    "agency: \(configuration.agency) is not in the agency directory"
                        + (NearestName.suggestion(for: configuration.agency, among: known).map { " — did you mean \($0)?" } ?? ""))
            }
        }
        var signatories: [Signatory] = []
        for settings in configuration.signatories {
            guard let signatory = attempt("signatory \(settings.id)", { try Signatory.load(settings, environment: environment) }) else {
                continue
            }
            signatories.append(signatory)
            if let agency, let documents {
                let eligibility = SignerEligibility(
                    signer: signatory.certificate, sender: AgencyReference(agency: agency.id, name: agency.fullName), signatory: nil,
                    directory: documents.directory)
                for reason in eligibility.reasons { problems.append("signatory \(settings.id) (\(settings.certificate)): \(reason)") }
            }
            let now = Date()
            if signatory.certificate.notAfter < now || signatory.certificate.notBefore > now {
                problems.append(
                    "signatory \(settings.id): the certificate \(settings.certificate) is not valid now (valid "
                        + "\(ISOTime.string(signatory.certificate.notBefore)) to \(ISOTime.string(signatory.certificate.notAfter)))")
            }
        }
        let archiveFolder = configuration.archive.store == "filesystem" ? [configuration.archive.path] : []
        for folder in configuration.trust.anchors + archiveFolder {
            var isFolder: ObjCBool = false
            if !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) || !isFolder.boolValue {
                let what = folder == configuration.archive.path ? "archive.path" : "trust.anchors"
                problems.append(
                    "\(what): \(folder) is not a folder"
                        + (folder == configuration.archive.path ? " (create the archive with `mezhved archive init`)" : ""))
            }
        }
        let validator = attempt("the trust settings") {
            try ValidatorSetup(trust: configuration.trust, policy: configuration.policy).make(documents: documents)
        }
        if let exchange = configuration.exchange {
            problems += exchange.fileProblems(knownAgencies: documents.map { Set($0.directory.agencies.map(\.id)) })
        }
        guard problems.isEmpty, let documents, let agency, let validator else {
            throw GatewayError(
                .configurationInvalid, "the gateway configuration \(configuration.source) cannot be used: \(problems.count) problem(s)",
                hint: "correct what is named below, then check again with `mezhved gateway check`", problems: problems)
        }
        return Gateway(
            configuration: configuration, documents: documents, agency: agency, signatories: signatories, validator: validator,
            signingOptions: makeSigningOptions(configuration.policy))
    }

    /// The signatory with `id`, or the first one when `id` is nil.
    public func signatory(_ id: String?) throws -> Signatory {
        guard let id else {
            guard let first = signatories.first else { throw GatewayError(.noSignatory, "the gateway configuration names no signatory") }
            return first
        }
        guard let found = signatories.first(where: { $0.id == id }) else {
            let known = signatories.map(\.id)
            throw GatewayError(
                .noSignatory, "the gateway has no signatory \(id)",
                hint: NearestName.suggestion(for: id, among: known).map { "did you mean \($0)?" }
                    ?? "the signatories are \(known.joined(separator: ", "))")
        }
        return found
    }

    /// The signatory who signs receipts.
    public var receiptSignatory: Signatory {
        get throws { try signatory(configuration.receiptSignatory) }
    }

    static func makeSigningOptions(_ policy: GatewayConfiguration.PolicySettings) -> SigningOptions {
        var options = SigningOptions()
        switch policy.signatureForm {
        case .xmldsig: options.xades = nil
        case .bes: options.xades = .bes
        case .t, .lt, .lta:
            // LT and LTA are T extended after signing (``Gateway/extendSignature(_:sourceName:)``).
            options.xades = .t
            options.timestamper = policy.tsa.map {
                RFC3161Timestamper(
                    url: $0,
                    transport: OpenSSLHTTPTransport(
                        timeout: .seconds(policy.networkTimeout),
                        httpsTrust: policy.httpsTrust.isEmpty ? nil : HTTPSTrust(caFiles: policy.httpsTrust)))
            }
        }
        return options
    }
}
