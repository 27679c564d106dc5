import ArgumentParser
import Foundation
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedValidation
import MezhvedXMLDSig

/// Where the directory and the calendar come from, and how an uncovered year is treated.
struct ContextOptions: ParsableArguments {
    @Option(help: "An agency directory file (JSON) to use instead of the bundled one.")
    var directory: String?

    @Option(help: "A regulations file (JSON) to go with --directory.")
    var regulations: String?

    @Option(help: "A production calendar file (JSON) adding or replacing years of the bundled one (for example 2027).")
    var calendar: String?

    @Option(
        name: .customLong("calendar-fallback"),
        help: "For a year the calendar does not cover: none (an error, the default) or labour-code (Labour Code art. 112 rules).")
    var calendarFallback: String = "none"

    func validate() throws {
        if ProductionCalendar.Fallback(rawValue: calendarFallback) == nil {
            throw ValidationError("--calendar-fallback must be none or labour-code")
        }
        if regulations != nil && directory == nil {
            throw ValidationError("--regulations goes with --directory")
        }
    }

    func context() throws -> DocumentContext {
        try GatewayConfiguration.DocumentSettings(
            directory: directory, regulations: regulations, calendar: calendar, calendarFallback: calendarFallback
        ).loadContext()
    }
}

/// How to sign a composed document (optional).
struct SigningOptionGroup: ParsableArguments {
    @Option(help: "Sign with this private key (PEM); without it the document is written unsigned.")
    var key: String?

    @Option(help: "The signer's certificate (with --key).")
    var cert: String?

    @Option(help: "Intermediate CA certificates to include in KeyInfo (with --key).")
    var chain: String?

    @Option(
        name: .customLong("passphrase-env"),
        help: "Environment variable holding an encrypted key's passphrase (with --gateway: a signatory's key unlocked per signing).")
    var passphraseEnv: String?

    @Option(
        name: .customLong("passphrase-file"),
        help: "File holding an encrypted key's passphrase (with --gateway: a signatory's key unlocked per signing).")
    var passphraseFile: String?

    @OptionGroup var xades: XAdESOptions

    func validate() throws {
        if (key == nil) != (cert == nil) { throw ValidationError("--key and --cert go together") }
        if xades.isGiven && key == nil {
            throw ValidationError(
                "--xades and --tsa go with --key (with --gateway, the configuration's policy.signatureForm and policy.tsa decide)")
        }
        if passphraseEnv != nil && passphraseFile != nil { throw ValidationError("give --passphrase-env or --passphrase-file, not both") }
        if let passphraseEnv, ProcessInfo.processInfo.environment[passphraseEnv] == nil {
            throw ValidationError("the environment variable \(passphraseEnv) named by --passphrase-env is not set")
        }
    }

    /// With --gateway: the passphrase that unlocks a signatory's key for this signing, if given.
    func passphraseForSigning() throws -> [UInt8]? {
        try Signatory.readPassphrase(file: passphraseFile, variable: passphraseEnv, of: "the signatory's key")
    }

    /// The document's XML, signed (whole document, enveloped; XAdES with `--xades`) when a key was
    /// given — after the check that the key's owner may sign it (the letterhead's agency, the
    /// signatory it names). A TSA that cannot be had for `--xades t` is exit 10, nothing written.
    func signIfAsked(_ document: InteragencyDocument, composer: DocumentComposer, name: String) async throws -> [UInt8] {
        guard let key, let cert else { return try composer.xml(document) }
        let signatory = try Signatory.load(
            GatewayConfiguration.SignatorySettings(
                id: "--key \(key)", key: key, certificate: cert, chain: chain, passphraseFile: passphraseFile,
                passphraseEnvironment: passphraseEnv))
        let options = SigningOptions(xades: xades.level, timestamper: xades.timestamper)
        do {
            return try await xades.extendIfAsked(
                try await DocumentSigning.signAwaitingTimestamp(
                    document, by: signatory, context: composer.context, options: options, sourceName: name),
                sourceName: name)
        } catch let error as MezhvedValidation.ValidationError {
            Output.error("the \(document.kind.rawValue) was not signed: \(error.description)")
            throw ExitCode.serviceUnavailable
        }
    }
}

/// `--gateway` and `--signatory`: compose, number, sign and register in one step.
struct OutgoingOptions: ParsableArguments {
    @OptionGroup var gateway: GatewayOption

    @Option(help: "With --gateway: the signatory (configuration id) who signs; default the first one.")
    var signatory: String?

    @Flag(name: .customLong("send"), help: "With --gateway: queue the registered document for its recipient (as `mezhved send`).")
    var queue = false

    /// Refuses options that the gateway's configuration gives itself.
    func check(context: ContextOptions, signing: SigningOptionGroup) throws {
        guard gateway.path != nil else {
            if signatory != nil { throw ValidationError("--signatory goes with --gateway") }
            if queue { throw ValidationError("--send goes with --gateway") }
            return
        }
        if signing.key != nil { throw ValidationError("--key is not used with --gateway: the gateway's signatories sign") }
        if signing.xades.isGiven {
            throw ValidationError(
                "--xades and --tsa are not used with --gateway: its configuration's policy.signatureForm and policy.tsa decide")
        }
        if context.directory != nil || context.calendar != nil {
            throw ValidationError("--directory and --calendar are not used with --gateway: its configuration names them")
        }
    }

    /// Runs the outgoing workflow and prints the journal's line once the document is on disk.
    func send(_ draft: OutgoingDraft, through gateway: Gateway, passphrase: [UInt8]?, output: String?) async throws {
        let formRegistration: Registration?
        switch draft {
        case .request(let request): formRegistration = request.registration
        case .answer(let answer, _): formRegistration = answer.registration
        case .note: formRegistration = nil
        }
        if let formRegistration {
            Output.warning("the form's registration \(formRegistration) is not used: the gateway numbers the document from its journal")
        }
        let archive = try await gateway.openArchiveForCommand()
        let sent = try await OutgoingWorkflow(gateway: gateway, registrar: archive.registrar).send(
            draft, signatoryID: signatory, passphrase: passphrase)
        var queued: String?
        if queue {
            do {
                queued = try await queueLine(
                    gateway.outbox(registrar: archive.registrar), number: sent.entry.number, year: sent.entry.year, expires: nil)
            } catch {
                Output.error(
                    "\(sent.entry.number) is registered but not queued; queue it with `mezhved send --gateway … \(sent.entry.number)`")
                throw error
            }
        }
        await archive.registrar.finishBackgroundWork()
        try writeDocument(sent.signed, to: output)
        let entry = sent.entry
        var line = "REGISTERED \(entry.number) \(entry.year) \(entry.kind?.rawValue ?? "document") to \(entry.counterpart ?? "?")"
        line += ", signed by \(sent.signatoryID)"
        if let deadline = entry.deadline {
            line += ", answer due \(deadline)"
            if entry.deadlineProvisional == true, let registered = entry.documentDate.flatMap(CalendarDay.init(iso:)),
                let due = CalendarDay(iso: deadline)
            {
                let note = ProductionCalendar.provisionalNote(years: gateway.documents.calendar.uncoveredYears(from: registered, to: due))
                line += " (provisional)"
                Output.warning("the deadline \(deadline) is \(note); it is recomputed when the year's calendar is imported")
            }
        }
        if let output { line += " — \(output)" }
        if let queued { line += "\n" + queued }
        let text = line + "\n"
        // The document itself may be on standard output: the line then goes to standard error.
        if output == nil { FileHandle.standardError.write(Data(text.utf8)) } else { FileHandle.standardOutput.write(Data(text.utf8)) }
    }
}

func writeDocument(_ bytes: [UInt8], to output: String?) throws {
    if let output { try writeOutput(bytes, to: output) } else { FileHandle.standardOutput.write(Data(bytes)) }
}

func printProblems(_ error: DocumentError) {
    Output.error(error.message + (error.hint.map { " — \($0)" } ?? ""))
    for problem in error.problems { FileHandle.standardError.write(Data("  - \(problem)\n".utf8)) }
}

struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request", abstract: "Composes interagency requests.", subcommands: [NewRequest.self])
}

struct NewRequest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Composes a request from a form file (YAML or JSON) on the sender's letterhead.",
        discussion: """
            The form names the sender and recipient by their directory ids, the legal basis, what is requested, \
            the compiler and the people concerned; see docs/documents.md. With --gateway the request is numbered \
            from the journal, signed by the gateway's signatory and registered in one step (the form carries no \
            registration); without it the form gives the registration number and date, and --key signs. The \
            response deadline defaults to 10 working days after the registration date. Every problem is listed at \
            once, with the field's path (exit code 6).
            """)

    @Option(help: "The form file (YAML or JSON).")
    var form: String

    @Option(name: .shortAndLong, help: "Where to write the request (default: standard output). Written 0600.")
    var output: String?

    @OptionGroup var outgoing: OutgoingOptions
    @OptionGroup var context: ContextOptions
    @OptionGroup var signing: SigningOptionGroup

    func validate() throws { try outgoing.check(context: context, signing: signing) }

    func run() async throws {
        let (bytes, name) = try readInput(form)
        if outgoing.gateway.path != nil {
            let gateway = try outgoing.gateway.open()
            let draft = try DocumentComposer(context: gateway.documents).requestDraft(form: bytes, source: name)
            try await outgoing.send(.request(draft), through: gateway, passphrase: try signing.passphraseForSigning(), output: output)
            return
        }
        let composer = DocumentComposer(context: try context.context())
        let request = try composer.request(form: bytes, source: name)
        try writeDocument(try await signing.signIfAsked(.request(request), composer: composer, name: name), to: output)
        if request.responseDeadlineProvisional == true {
            let years = composer.context.calendar.uncoveredYears(from: request.registration.date, to: request.responseDeadline)
            Output.warning("the deadline \(request.responseDeadline.iso) is \(ProductionCalendar.provisionalNote(years: years))")
        }
    }
}

struct AnswerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "answer", abstract: "Composes answers to interagency requests.", subcommands: [NewAnswer.self])
}

struct NewAnswer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Composes the answer to a request from a form file: the documents provided, or a reasoned refusal.")

    @Option(help: "The request being answered (its XML).")
    var request: String

    @Option(help: "The form file (YAML or JSON).")
    var form: String

    @Option(name: .shortAndLong, help: "Where to write the answer (default: standard output). Written 0600.")
    var output: String?

    @OptionGroup var outgoing: OutgoingOptions
    @OptionGroup var context: ContextOptions
    @OptionGroup var signing: SigningOptionGroup

    func validate() throws { try outgoing.check(context: context, signing: signing) }

    func run() async throws {
        let gateway = try outgoing.gateway.path.map { _ in try outgoing.gateway.open() }
        let documentContext = try gateway?.documents ?? context.context()
        let (requestBytes, requestName) = try readInput(request)
        guard case .request(let original) = try DocumentValidator(context: documentContext).read(requestBytes, sourceName: requestName)
        else {
            throw DocumentError(.invalidDocument, "\(requestName) is not a request", hint: "give the request being answered")
        }
        let (bytes, name) = try readInput(form)
        let composer = DocumentComposer(context: documentContext)
        let baseDirectory = (form as NSString).deletingLastPathComponent
        if let gateway {
            let draft = try composer.answerDraft(form: bytes, source: name, baseDirectory: baseDirectory)
            try await outgoing.send(
                .answer(draft, to: original), through: gateway, passphrase: try signing.passphraseForSigning(), output: output)
            return
        }
        let answer = try composer.answer(to: original, form: bytes, source: name, baseDirectory: baseDirectory)
        try writeDocument(try await signing.signIfAsked(.answer(answer), composer: composer, name: name), to: output)
    }
}

struct ReceiptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt", abstract: "Composes receipts for received documents.", subcommands: [NewReceipt.self])
}

struct NewReceipt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new", abstract: "Acknowledges a received request or answer: accepted with its incoming number, or rejected.")

    @Option(help: "The received document (its XML).")
    var document: String

    @Option(name: .customLong("incoming-number"), help: "The incoming registration number given to the document (accepts it).")
    var incomingNumber: String?

    @Option(name: .customLong("incoming-date"), help: "The incoming registration date (default: today).")
    var incomingDate: String?

    @Option(help: "Reject the document, with this reason.")
    var reject: String?

    @Option(name: .shortAndLong, help: "Where to write the receipt (default: standard output).")
    var output: String?

    @OptionGroup var context: ContextOptions
    @OptionGroup var signing: SigningOptionGroup

    func validate() throws {
        if (incomingNumber == nil) == (reject == nil) {
            throw ValidationError("give either --incoming-number (the document is accepted) or --reject REASON")
        }
        if let incomingDate, CalendarDay(iso: incomingDate) == nil {
            throw ValidationError("--incoming-date \(incomingDate) is not a date such as 2026-03-03")
        }
    }

    func run() async throws {
        let documentContext = try context.context()
        let (bytes, name) = try readInput(document)
        let received = try DocumentValidator(context: documentContext).read(bytes, sourceName: name)
        let now = Date()
        let outcome: ReceiptOutcome
        if let incomingNumber {
            let today = CalendarDay(
                iso: ISOTime.agencyDayString(now))!
            outcome = .accepted(incomingNumber: incomingNumber, incomingDate: incomingDate.flatMap(CalendarDay.init(iso:)) ?? today)
        } else {
            outcome = .rejected(reason: reject ?? "")
        }
        let digest = try XMLCanonicalization.digest(bytes, algorithm: .streebog256)
        let composer = DocumentComposer(context: documentContext)
        let receipt = try composer.receipt(
            for: received, receivedAt: now, outcome: outcome,
            digest: (DigestAlgorithm.streebog256.uri, Data(digest).base64EncodedString()))
        try writeDocument(try await signing.signIfAsked(.receipt(receipt), composer: composer, name: name), to: output)
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Checks requests, answers and receipts against their schemas and the rules of the regulations.",
        discussion: "Lists every problem with its place. Exit 0 when every document is valid, 6 when one is not, 3 when one is unusable.")

    @Argument(help: "The documents (XML).")
    var files: [String]

    @Option(help: "For an answer: the request it answers, to match \"на № … от …\", sender and recipient.")
    var request: String?

    @Flag(help: "Print the results as JSON.")
    var json = false

    @OptionGroup var context: ContextOptions

    func run() throws {
        let validator = DocumentValidator(context: try context.context())
        var original: InteragencyRequest?
        if let request {
            let (bytes, name) = try readInput(request)
            guard case .request(let r) = try validator.read(bytes, sourceName: name) else {
                throw DocumentError(.invalidDocument, "\(name) is not a request")
            }
            original = r
        }
        var worst: Int32 = 0
        var results: [ValidationResultJSON] = []
        for file in files {
            do {
                let (bytes, name) = try readInput(file)
                let report = try validator.validate(bytes, sourceName: name, request: original)
                if json {
                    results.append(
                        ValidationResultJSON(
                            document: name, kind: report.kind, valid: report.isValid, signed: report.isSigned, problems: report.problems,
                            error: nil))
                } else if report.isValid {
                    print("VALID: \(name) (\(report.kind?.rawValue ?? "?")\(report.isSigned ? ", signed" : ""))")
                } else {
                    print("INVALID: \(name) (\(report.kind?.rawValue ?? "unknown kind")): \(report.problems.count) problem(s)")
                    for problem in report.problems { print("  - \(problem)") }
                }
                if !report.isValid { worst = max(worst, ExitCode.documentInvalid.rawValue) }
            } catch let error as XMLDSigError {
                Output.error(error.description)
                worst = max(worst, ExitCode.forError(error).rawValue)
                if json {
                    results.append(
                        ValidationResultJSON(document: file, kind: nil, valid: false, signed: nil, problems: nil, error: error.message))
                }
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = files.count == 1 ? try encoder.encode(results[0]) : try encoder.encode(results)
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
        if worst != 0 { throw ExitCode(worst) }
    }
}

/// One document's result in `validate --json`: `kind` and a problem's `line` are null when unknown;
/// an unusable document has `error` instead of `kind`, `signed` and `problems`.
struct ValidationResultJSON: Encodable {
    let document: String
    let kind: DocumentKind?
    let valid: Bool
    let signed: Bool?
    let problems: [DocumentProblem]?
    let error: String?

    enum Key: String, CodingKey { case document, kind, valid, signed, problems, error, path, message, line }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(document, forKey: .document)
        try container.encode(valid, forKey: .valid)
        if let error {
            try container.encode(error, forKey: .error)
            return
        }
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(signed, forKey: .signed)
        var list = container.nestedUnkeyedContainer(forKey: .problems)
        for problem in problems ?? [] {
            var item = list.nestedContainer(keyedBy: Key.self)
            try item.encode(problem.path, forKey: .path)
            try item.encode(problem.message, forKey: .message)
            try item.encode(problem.line, forKey: .line)
        }
    }
}

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Renders a request, answer or receipt as an HTML page laid out like the paper form on letterhead.",
        discussion: """
            A signed document gets the mark of its electronic signature (certificate number, owner, validity) with \
            the result of verifying it against --trust folders; without --trust the mark says it was not checked.
            """)

    @Argument(help: "The document (XML).")
    var file: String

    @Option(name: .shortAndLong, help: "Where to write the HTML (default: standard output).")
    var output: String?

    @Option(name: .customLong("trust"), help: "Trusted CA folders to verify the signature with; may be repeated.")
    var trust: [String] = []

    @Option(name: .customLong("crl"), help: "CRL files for the verification; may be repeated.")
    var crl: [String] = []

    @Flag(name: .customLong("redact-personal-data"), help: "Leave the personal data out of the page.")
    var redactPersonalData = false

    @OptionGroup var context: ContextOptions

    func run() throws {
        let (bytes, name) = try readInput(file)
        let validator = DocumentValidator(context: try context.context())
        let report = try validator.validate(bytes, sourceName: name)
        guard let document = report.parsed else {
            throw DocumentError(
                .invalidDocument, "\(name) cannot be rendered: \(report.problems.count) problem(s)", hint: "run `mezhved validate \(name)`",
                problems: report.problems)
        }
        if !report.problems.isEmpty {
            Output.warning("\(name) breaks \(report.problems.count) rule(s); rendering it anyway (see `mezhved validate`)")
        }
        var mark: SignatureMark?
        if report.isSigned {
            mark = try signatureMark(bytes, name: name)
        }
        let html = DocumentRenderer.html(document, signature: mark, redactPersonalData: redactPersonalData)
        try writeDocument(Array(html.utf8), to: output)
    }

    func signatureMark(_ bytes: [UInt8], name: String) throws -> SignatureMark? {
        if !trust.isEmpty {
            let verifier = SignatureVerifier(
                trustStore: try TrustStore(directories: trust, crlFiles: crl), policy: VerificationPolicy(retainSignedContent: false))
            let report = try verifier.verify(bytes, sourceName: name)
            guard let signer = report.signer else { return nil }
            return SignatureMark(
                certificateSerial: signer.serialNumber, owner: signer.commonName ?? signer.subject, organization: signer.organization,
                validFrom: signer.notBefore, validTo: signer.notAfter, verification: report.status.rawValue.uppercased(),
                details: report.problems.map(\.message), checkedAt: report.validationTime)
        }
        // Not verified: show the certificate from KeyInfo as it is, marked as not checked.
        let text = String(decoding: bytes, as: UTF8.self)
        guard let start = text.range(of: "X509Certificate>"), let end = text.range(of: "</", range: start.upperBound..<text.endIndex),
            let der = Data(base64Encoded: String(text[start.upperBound..<end.lowerBound]).filter { !$0.isWhitespace }),
            let certificate = try? Certificate(der: [UInt8](der), source: name)
        else { return nil }
        return SignatureMark(
            certificateSerial: certificate.serialNumber, owner: certificate.commonName ?? certificate.subject,
            organization: certificate.organization, validFrom: certificate.notBefore, validTo: certificate.notAfter,
            verification: "NOT CHECKED", details: ["не проверялась: не указаны доверенные сертификаты (--trust)"])
    }
}
