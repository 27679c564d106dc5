import Foundation
import MezhvedCore
import MezhvedDocuments
import MezhvedXMLDSig

/// What a qualified validation requires beyond the signature's cryptography.
public struct QualifiedValidationPolicy: Sendable {
    /// The verifier's own policy (pinned references, algorithms, parsing limits). Its
    /// `validationTime` is ignored: the validator sets it.
    public var verification: VerificationPolicy
    /// A certificate without any revocation source, and none given, is INDETERMINATE instead of a
    /// warning.
    public var requireRevocation: Bool
    /// Check that the signer's organisation is the agency on the document's letterhead (for
    /// mezhved's interagency documents).
    public var checkLetterhead: Bool

    public init(verification: VerificationPolicy = VerificationPolicy(), requireRevocation: Bool = false, checkLetterhead: Bool = true) {
        self.verification = verification
        self.requireRevocation = requireRevocation
        self.checkLetterhead = checkLetterhead
    }
}

/// Validates a signed document as a qualified electronic signature (63-FZ art. 11): the XMLDSig
/// core check, XAdES signing time and timestamps, the certificate path at the signing time,
/// revocation (CRL and OCSP), the Russian qualified-certificate items and the letterhead match.
///
/// The trust store must hold the accredited CAs (the national trusted list): a path to it is what
/// makes a certificate qualified. The signing time is the earliest signature timestamp that
/// validates; without one, the signer's claimed SigningTime (reported as a claim); without that,
/// the validation time.
public struct QualifiedValidator: Sendable {
    public let trustStore: TrustStore
    public let intermediates: [Certificate]
    public let policy: QualifiedValidationPolicy
    public let revocation: RevocationChecker
    /// The agency directory and calendar for reading interagency documents: the ones given, else the
    /// bundled ones, loaded once here (nil only when those cannot be loaded).
    public let documents: DocumentContext?

    public init(
        trustStore: TrustStore, intermediates: [Certificate] = [], policy: QualifiedValidationPolicy = QualifiedValidationPolicy(),
        revocation: RevocationChecker, documents: DocumentContext? = nil
    ) {
        self.trustStore = trustStore
        self.intermediates = intermediates
        self.policy = policy
        self.revocation = revocation
        self.documents = documents ?? (try? DocumentContext.bundled())
    }

    /// Validates `document` as of `validationTime` (now when nil). Throws only when there is nothing
    /// to judge (unreadable or hostile XML, no signature); every failed check is in the report.
    ///
    /// `proofOfExistence` is a moment the caller can prove the document existed at, for example
    /// when mezhved's archive registered it (its hash-chained log with signed checkpoints): like a
    /// timestamp, it lets a signature whose certificate has expired or been revoked since stay valid.
    ///
    /// The checks run on the calling task; only the revocation sources' network exchanges (OCSP,
    /// CRL distribution points) are awaited, through the checker's transport, without blocking a
    /// thread. No OpenSSL error state is carried across those waits.
    public func validate(
        _ document: [UInt8], sourceName: String, at validationTime: Date? = nil, proofOfExistence: Date? = nil
    ) async throws -> QualifiedValidationReport {
        try await validateReading(document, sourceName: sourceName, at: validationTime, proofOfExistence: proofOfExistence).report
    }

    /// As ``validate(_:sourceName:at:proofOfExistence:)``, and the interagency document exactly as
    /// signed, validated (schema, model, the regulations' rules) by the letterhead check that read
    /// it: nil when the letterhead was not checked (the policy, a signature not over the whole
    /// document, content that is no interagency document). A receiving gateway takes the document
    /// from here instead of reading it again.
    public func validateReading(
        _ document: [UInt8], sourceName: String, at validationTime: Date? = nil, proofOfExistence: Date? = nil
    ) async throws -> (report: QualifiedValidationReport, signedDocument: DocumentValidationReport?) {
        let now = validationTime ?? Date()
        let current = try verifier(at: now).verify(document, sourceName: sourceName)
        var run = ValidationRun(now: now, requireRevocation: policy.requireRevocation)

        // The signing time: a validated timestamp proves it; the claimed SigningTime only claims it.
        let timestamps = current.xades?.timestamps ?? []
        let provenTimes = timestamps.filter(\.isValid).map(\.genTime)
        for timestamp in timestamps where !timestamp.isValid {
            run.warn(
                "timestamp",
                "the signature timestamp of \(Self.text(timestamp.genTime)) is ignored: \(timestamp.problems.joined(separator: "; "))")
        }
        for stamp in current.xades?.archiveTimestamps ?? [] where !stamp.isValid {
            run.warn(
                "timestamp",
                "the archive timestamp \(stamp.id.map { "\"\($0)\" " } ?? "")of \(Self.text(stamp.genTime)) does not hold and proves nothing: \(stamp.problems.joined(separator: "; "))"
            )
        }
        let expiredTSA = timestamps.contains { $0.isValid && ($0.tsa?.notAfter).map { $0 < now } == true }
        if let proof = current.xades?.proofOfExistence, !provenTimes.isEmpty, expiredTSA {
            run.warn(
                "timestamp",
                "the signature timestamp was judged at \(Self.text(proof)), the time the archive timestamp (XAdES-LTA) proves the signature and its validation data existed at: past validation, its TSA's certificate is not required to be valid at \(Self.text(now))"
            )
        }
        let signingTime: SigningTimeEvidence
        if let proven = provenTimes.min(), proofOfExistence.map({ proven <= $0 }) ?? true {
            signingTime = SigningTimeEvidence(time: proven, source: .timestamp, claimedSigningTime: current.xades?.signingTime)
        } else if let proofOfExistence {
            signingTime = SigningTimeEvidence(
                time: proofOfExistence, source: .proofOfExistence, claimedSigningTime: current.xades?.signingTime)
        } else if let claimed = current.xades?.signingTime {
            signingTime = SigningTimeEvidence(time: claimed, source: .claimedSigningTime, claimedSigningTime: claimed)
        } else {
            signingTime = SigningTimeEvidence(time: now, source: .validationTime, claimedSigningTime: nil)
        }
        if let claimed = signingTime.claimedSigningTime, signingTime.source == .timestamp,
            claimed > signingTime.time.addingTimeInterval(300)
        {
            run.warn("timestamp", "the claimed SigningTime \(Self.text(claimed)) is after the timestamp \(Self.text(signingTime.time))")
        }

        // The path and validity at the signing time (the same run when that is now). A signature
        // that verified now has only its certificate path judged again at the signing time; any
        // other is verified again as of then, so that the report explains it from there.
        let atSigning: CertificatePathCheck
        if signingTime.time == now {
            atSigning = CertificatePathCheck(path: current.signerPath, problems: current.problems)
        } else if current.status == .valid, let signer = current.signerPath.first {
            atSigning = verifier(at: signingTime.time).certificatePath(
                of: signer, untrusted: Array(current.signerPath.dropFirst()), at: signingTime.time)
        } else {
            let report = try verifier(at: signingTime.time).verify(document, sourceName: sourceName)
            atSigning = CertificatePathCheck(path: report.signerPath, problems: report.problems)
        }
        run.core(current, atSigning: atSigning, signingTime: signingTime)

        // Revocation of every certificate of the path but the anchor.
        let path = atSigning.path.isEmpty ? current.signerPath : atSigning.path
        let chainFound = path.count > 1 && run.chainProblems.isEmpty
        var evidence: [RevocationEvidence] = []
        if chainFound {
            _ = drainOpenSSLErrors()
            let embedded = current.xades?.longTermValues.map {
                EmbeddedRevocationData($0, provenTime: signingTime.isProven ? signingTime.time : nil)
            }
            for problem in embedded?.problems ?? [] { run.warn("revocation", problem) }
            evidence = await revocation.check(chain: path, at: now, embedded: embedded)
            for item in evidence where item.source == .crlEmbedded || item.source == .ocspEmbedded {
                let what = item.source == .crlEmbedded ? "the CRL" : "the OCSP response"
                run.warn(
                    "revocation",
                    "the revocation status of \(item.certificate.commonName ?? item.certificate.subject) comes from \(what) embedded in the signature (XAdES-LT), issued \(item.thisUpdate.map(Self.text) ?? "?"), judged at the signing time \(Self.text(signingTime.time)) (\(signingTime.source.rawValue))"
                )
            }
        }
        run.revocation(evidence, signingTime: signingTime)

        // The Russian qualified-certificate items.
        let signerCertificate = path.first
        let profile = signerCertificate.map(QualifiedCertificateProfile.init)
        if let profile {
            for item in profile.missing {
                run.note("qualified-certificate", "the signer's certificate lacks \(item.title): \(item.detail)")
            }
        }

        // The letterhead.
        var letterhead: LetterheadMatch?
        var signedDocument: DocumentValidationReport?
        if policy.checkLetterhead, let signed = current.references.first(where: { $0.covers == "whole document" })?.signedContent {
            (letterhead, signedDocument) = LetterheadCheck(documents: documents).reading(signed, sourceName: sourceName, profile: profile)
            if let letterhead, letterhead.result == .differs {
                run.fail("letterhead", letterhead.detail, .sigConstraintsFailure)
            } else if let letterhead, letterhead.result == .undetermined {
                run.warn("letterhead", letterhead.detail)
            }
        }

        let (indication, subIndication) = run.indication()
        let chain = path.enumerated().map { index, certificate in
            ChainCertificate(
                certificate: certificate.summary,
                role: index == 0 ? "signer" : (index == path.count - 1 ? "trust-anchor" : "ca"),
                validAtSigningTime: certificate.notBefore <= signingTime.time && signingTime.time <= certificate.notAfter,
                validAtValidationTime: certificate.notBefore <= now && now <= certificate.notAfter)
        }
        let conditions = run.conditions(
            chainFound: chainFound, profile: profile, letterhead: letterhead, signingTime: signingTime, evidence: evidence,
            anchor: path.last)
        let qualification = Self.qualification(indication: indication, conditions: conditions, profile: profile)
        let form = current.xades.map(\.level.rawValue) ?? "XMLDSig"
        let report = QualifiedValidationReport(
            format: QualifiedValidationReport.formatName, document: sourceName, documentSHA256: Self.sha256(document), validationTime: now,
            indication: indication, subIndication: subIndication, qualification: qualification, conditions: conditions,
            signatureForm: form, signatureAlgorithm: current.signatureAlgorithm, canonicalizationMethod: current.canonicalizationMethod,
            signingTime: signingTime, timestamps: timestamps,
            archiveTimestamps: (current.xades?.archiveTimestamps).flatMap { $0.isEmpty ? nil : $0 },
            archiveProofOfExistence: current.xades?.proofOfExistence,
            declaredProperties: current.xades?.declared, signer: current.signer, qualifiedCertificate: profile, chain: chain,
            revocation: evidence, letterhead: letterhead, signedReferences: current.references, findings: run.findings,
            policy: [
                "trust-anchors": String(trustStore.anchors.count),
                "require-revocation": String(policy.requireRevocation),
                "check-letterhead": String(policy.checkLetterhead),
                "expected-references": String(policy.verification.expectedReferenceCount),
            ],
            validator: "mezhved \(MezhvedVersion.string)")
        return (report, signedDocument)
    }

    /// Validates the file at `path` (read on a thread of its own, not the caller's).
    public func validate(contentsOf path: String, at validationTime: Date? = nil) async throws -> QualifiedValidationReport {
        let bytes = try await Self.files.run { () throws -> [UInt8] in
            do {
                return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw ValidationError(.configuration, "\(path) cannot be read", hint: "check the path and its permissions")
            }
        }
        return try await validate(bytes, sourceName: path, at: validationTime)
    }

    /// The thread that reads documents for ``validate(contentsOf:at:)``.
    private static let files = BlockingThreads(name: "mezhved.validation.files", maximumThreads: 2)

    private func verifier(at time: Date) -> SignatureVerifier {
        var verification = policy.verification
        verification.validationTime = time
        return SignatureVerifier(trustStore: trustStore, policy: verification, intermediates: intermediates)
    }

    static func qualification(indication: Indication, conditions: [ArticleElevenCondition], profile: QualifiedCertificateProfile?)
        -> QualificationConclusion
    {
        var reasons: [String] = []
        for condition in conditions where condition.result != .passed {
            reasons.append("\(condition.clause) \(condition.title): \(condition.result.rawValue)")
        }
        if let profile, !profile.isComplete {
            reasons.append("the certificate is not a qualified one: it lacks \(profile.missing.map(\.id).joined(separator: ", "))")
        }
        switch indication {
        case .indeterminate: return QualificationConclusion(status: .undetermined, reasons: reasons)
        case .totalFailed: return QualificationConclusion(status: .notQualified, reasons: reasons)
        case .totalPassed: return QualificationConclusion(status: reasons.isEmpty ? .qualified : .notQualified, reasons: reasons)
        }
    }

    static func text(_ date: Date) -> String { ISOTime.string(date) }

    static func sha256(_ bytes: [UInt8]) -> String { (try? DigestContext.digest(bytes, .sha256)).map(hexString) ?? "" }
}

/// The findings of one validation and the indication they lead to.
struct ValidationRun {
    let now: Date
    let requireRevocation: Bool
    var findings: [ValidationFinding] = []
    /// Core findings by art. 11 condition.
    var cryptographicProblems: [String] = []
    var validityProblems: [String] = []
    var chainProblems: [String] = []
    var limitationProblems: [String] = []
    var revocationProblems: [String] = []

    init(now: Date, requireRevocation: Bool) {
        self.now = now
        self.requireRevocation = requireRevocation
    }

    mutating func fail(_ area: String, _ message: String, _ sub: SubIndication) {
        findings.append(ValidationFinding(area: area, severity: .failed, message: message, subIndication: sub))
    }

    mutating func undetermined(_ area: String, _ message: String, _ sub: SubIndication) {
        findings.append(ValidationFinding(area: area, severity: .indeterminate, message: message, subIndication: sub))
    }

    mutating func warn(_ area: String, _ message: String) {
        findings.append(ValidationFinding(area: area, severity: .warning, message: message, subIndication: nil))
    }

    /// A qualification point: it does not change the AdES indication, only the conclusion.
    mutating func note(_ area: String, _ message: String) {
        findings.append(ValidationFinding(area: area, severity: .warning, message: message, subIndication: nil))
    }

    /// Reads the XMLDSig core's problems: at the validation time for everything but the path, and
    /// at the signing time for the path and the certificates' validity.
    mutating func core(_ current: VerificationReport, atSigning: CertificatePathCheck, signingTime: SigningTimeEvidence) {
        let proven = signingTime.isProven
        for problem in current.problems {
            switch problem.check {
            case .digest:
                fail("signature", problem.message, .hashFailure)
                cryptographicProblems.append(problem.message)
            case .signatureValue:
                fail("signature", problem.message, .sigCryptoFailure)
                cryptographicProblems.append(problem.message)
            case .signingCertificate:
                undetermined("signature", problem.message, .noSigningCertificateFound)
                cryptographicProblems.append(problem.message)
            case .keyInfo:
                undetermined("signature", problem.message, .noSigningCertificateFound)
                cryptographicProblems.append(problem.message)
            case .algorithm:
                if problem.severity == .invalid {
                    fail("signature", problem.message, .formatFailure)
                } else {
                    undetermined("signature", problem.message, .cryptoConstraintsFailure)
                }
                cryptographicProblems.append(problem.message)
            case .keyUsage:
                undetermined("chain", problem.message, .chainConstraintsFailure)
                limitationProblems.append(problem.message)
            case .signerCertificate:
                // EN 319 102-1: a key too weak for the policy is a cryptographic constraint
                // (5.2.8), a certificate whose extensions do not allow the purpose a chain
                // constraint (5.2.6); both INDETERMINATE, and neither is cured by a later proof.
                if problem.message.contains("(\(SignerCertificateFitness.Rule.keyStrength.code))") {
                    undetermined("signature", problem.message, .cryptoConstraintsFailure)
                    cryptographicProblems.append(problem.message)
                } else {
                    undetermined("chain", problem.message, .chainConstraintsFailure)
                    limitationProblems.append(problem.message)
                }
            case .timestamp:
                break  // judged from the timestamps themselves (an invalid one is ignored)
            case .chain, .revocation:
                break  // judged at the signing time below, and by the revocation sources
            case .validity:
                // At the validation time: fine when a timestamp proves the signature existed while
                // the certificate was valid.
                let atSigningOK = !atSigning.problems.contains { $0.check == .validity }
                if proven && atSigningOK {
                    warn(
                        "validity",
                        "\(problem.message); the \(signingTime.source == .timestamp ? "timestamp" : "proof of existence") shows the signature existed on \(QualifiedValidator.text(signingTime.time)), when it was valid"
                    )
                } else if !proven {
                    undetermined("validity", "\(problem.message), and no timestamp proves the signature existed before", .outOfBoundsNoPOE)
                    validityProblems.append(problem.message)
                }
            default:
                fail("signature", problem.message, .formatFailure)
                cryptographicProblems.append(problem.message)
            }
        }
        // What the core accepted with a remark (a weak digest allowed, an explicit policy not
        // applied, a KeyValue ignored) is said in the report too.
        for warning in current.warnings { warn("signature", warning) }
        for problem in atSigning.problems {
            switch problem.check {
            case .chain:
                undetermined("chain", problem.message, .noCertificateChainFound)
                chainProblems.append(problem.message)
            case .validity:
                let message =
                    "at the signing time \(QualifiedValidator.text(signingTime.time)) (\(signingTime.source.rawValue)): \(problem.message)"
                let notYet = problem.message.contains("not yet valid")
                if proven {
                    fail("validity", message, notYet ? .notYetValid : .expired)
                } else if notYet && signingTime.source == .claimedSigningTime {
                    fail("validity", message, .notYetValid)
                } else if signingTime.source == .claimedSigningTime {
                    undetermined("validity", message, .outOfBoundsNoPOE)
                }
                validityProblems.append(message)
            default:
                break
            }
        }
    }

    /// Judges the revocation evidence against the signing time.
    mutating func revocation(_ evidence: [RevocationEvidence], signingTime: SigningTimeEvidence) {
        let proven = signingTime.isProven
        for (index, item) in evidence.enumerated() {
            let who =
                index == 0 ? "the signer's certificate" : "the CA certificate \(item.certificate.commonName ?? item.certificate.subject)"
            switch item.status {
            case .good:
                continue
            case .revoked:
                let at = item.revocationTime.map(QualifiedValidator.text) ?? "an unknown time"
                let reason = item.reason.map { " (\($0))" } ?? ""
                if let revoked = item.revocationTime, revoked > signingTime.time {
                    if proven {
                        warn(
                            "revocation",
                            "\(who) was revoked on \(at)\(reason), after the \(signingTime.source == .timestamp ? "timestamp" : "proof of existence") shows the signature existed"
                        )
                    } else {
                        undetermined(
                            "revocation", "\(who) was revoked on \(at)\(reason); no timestamp proves the signature was made before",
                            index == 0 ? .revokedNoPOE : .revokedCANoPOE)
                        revocationProblems.append("revoked on \(at), no proof of earlier signing")
                    }
                } else {
                    fail(
                        "revocation",
                        "\(who) was revoked on \(at)\(reason), before the signing time \(QualifiedValidator.text(signingTime.time)) (\(signingTime.source.rawValue))",
                        .revoked)
                    revocationProblems.append("revoked on \(at)")
                }
            case .unknown:
                undetermined("revocation", "\(item.location ?? "the revocation source") does not know \(who)", .tryLater)
                revocationProblems.append("status unknown")
            case .unavailable:
                let why = item.problems.isEmpty ? "" : ": \(item.problems.joined(separator: "; "))"
                undetermined("revocation", "the revocation status of \(who) could not be obtained\(why)", .tryLater)
                revocationProblems.append("source unavailable")
            case .notChecked:
                if requireRevocation {
                    undetermined("revocation", "\(who) names no revocation source and none was given (revocation is required)", .tryLater)
                    revocationProblems.append("not checked")
                } else {
                    warn("revocation", "revocation not checked for \(who): it names no CRL or OCSP source and none was given")
                }
            }
        }
    }

    /// The most severe finding decides.
    func indication() -> (Indication, SubIndication?) {
        let decisive = findings.filter { $0.severity != .warning && $0.subIndication != nil }
        guard let worst = decisive.max(by: { $0.subIndication!.rank < $1.subIndication!.rank }) else { return (.totalPassed, nil) }
        if decisive.contains(where: { $0.severity == .failed }) {
            let failed = decisive.filter { $0.severity == .failed }.max { $0.subIndication!.rank < $1.subIndication!.rank }!
            return (.totalFailed, failed.subIndication)
        }
        return (.indeterminate, worst.subIndication)
    }

    func conditions(
        chainFound: Bool, profile: QualifiedCertificateProfile?, letterhead: LetterheadMatch?, signingTime: SigningTimeEvidence,
        evidence: [RevocationEvidence], anchor: Certificate?
    ) -> [ArticleElevenCondition] {
        var accredited: [String] = []
        var accreditedResult: ArticleElevenCondition.Result = .passed
        if chainFound, let anchor {
            accredited.append("the path ends at \(anchor.commonName ?? anchor.subject), a CA of the trust store of accredited CAs")
        } else {
            accreditedResult = .indeterminate
            accredited.append(contentsOf: chainProblems.isEmpty ? ["no certificate path was built"] : chainProblems)
        }
        if let profile {
            if profile.isComplete {
                accredited.append("the certificate carries every item of a qualified certificate (FSB order 795)")
            } else {
                if accreditedResult == .passed { accreditedResult = .failed }
                accredited.append("not a qualified certificate: lacks \(profile.missing.map(\.id).joined(separator: ", "))")
            }
        }

        var valid: [String] = ["judged at \(QualifiedValidator.text(signingTime.time)) (\(signingTime.source.rawValue))"]
        var validResult: ArticleElevenCondition.Result = .passed
        let timeFindings = findings.filter { ($0.area == "validity" || $0.area == "revocation") && $0.severity != .warning }
        if timeFindings.contains(where: { $0.severity == .failed }) {
            validResult = .failed
        } else if !timeFindings.isEmpty || !chainFound {
            validResult = .indeterminate
        }
        valid.append(contentsOf: timeFindings.map(\.message))
        for item in evidence {
            let source = [item.source?.rawValue, item.location].compactMap { $0 }.joined(separator: " ")
            valid.append(
                "\(item.certificate.commonName ?? item.certificate.subject): \(item.status.rawValue)\(source.isEmpty ? "" : " (\(source))")"
            )
        }

        let cryptoResult: ArticleElevenCondition.Result =
            findings.contains { $0.area == "signature" && $0.severity == .failed }
            ? .failed : (cryptographicProblems.isEmpty ? .passed : .indeterminate)
        let crypto =
            cryptographicProblems.isEmpty
            ? ["every reference digest and the signature value verify with the key of the signer's certificate"] : cryptographicProblems

        var limits: [String] = []
        var limitsResult: ArticleElevenCondition.Result = limitationProblems.isEmpty ? .passed : .failed
        limits.append(contentsOf: limitationProblems)
        if let profile, let usage = profile.items.first(where: { $0.id == "key-usage" }), usage.present {
            limits.append("key usage allows signing documents")
        }
        if let classes = profile?.classes, !classes.isEmpty { limits.append("signing-tool class: \(classes.joined(separator: ", "))") }
        if let letterhead {
            limits.append(letterhead.detail)
            if letterhead.result == .differs { limitsResult = .failed }
            if letterhead.result == .undetermined, limitsResult == .passed { limitsResult = .indeterminate }
        }
        return [
            ArticleElevenCondition(
                id: "accredited-ca", clause: "63-FZ art. 11 (1)",
                title: "the qualified certificate was issued by an accredited certification authority", result: accreditedResult,
                evidence: accredited),
            ArticleElevenCondition(
                id: "valid-at-signing", clause: "63-FZ art. 11 (2)",
                title: "the certificate was valid at the moment of signing (or of checking, when that moment is unknown)",
                result: validResult, evidence: valid),
            ArticleElevenCondition(
                id: "signature-verified", clause: "63-FZ art. 11 (3)",
                title: "the signature verifies: it belongs to the certificate's owner and the document is unchanged",
                result: cryptoResult, evidence: crypto),
            ArticleElevenCondition(
                id: "within-limitations", clause: "63-FZ art. 11 (4)",
                title: "the signature is used within the certificate's limitations", result: limitsResult, evidence: limits),
        ]
    }
}
