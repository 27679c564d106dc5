import Foundation
import MezhvedCore
import MezhvedXMLDSig

extension QualifiedValidationReport {
    /// The report for people: the conclusion first, then the art. 11 conditions with their
    /// evidence, the signing time, the path, revocation, the qualified-certificate items, the
    /// letterhead, what was signed, and every finding.
    public func renderText() -> String {
        func date(_ d: Date?) -> String { d.map { ISOTime.string($0) } ?? "—" }
        var lines: [String] = []
        let sub = subIndication.map { " / \($0.rawValue)" } ?? ""
        lines.append("\(indication.rawValue)\(sub): \(document)")
        switch qualification.status {
        case .qualified: lines.append("  conclusion:   a valid QUALIFIED electronic signature (63-FZ art. 11)")
        case .notQualified: lines.append("  conclusion:   NOT a valid qualified electronic signature")
        case .undetermined: lines.append("  conclusion:   undetermined: the validation could not decide")
        }
        for reason in qualification.reasons { lines.append("                - \(reason)") }
        lines.append("  validated at: \(date(validationTime))")
        lines.append("  document:     SHA-256 \(documentSHA256)")
        lines.append(
            "  form:         \(signatureForm)\(signatureAlgorithm.flatMap { SignatureAlgorithm(rawValue: $0)?.displayName }.map { ", \($0)" } ?? "")"
        )
        let source: String
        switch signingTime.source {
        case .timestamp: source = "proven by a signature timestamp"
        case .proofOfExistence: source = "proven by the archive's record of the document"
        case .claimedSigningTime: source = "claimed by the signer (XAdES SigningTime), not proven"
        case .validationTime: source = "no signing time in the signature: the validation time"
        }
        lines.append("  signing time: \(date(signingTime.time)) (\(source))")
        lines.append("")
        lines.append("  63-FZ art. 11:")
        for condition in conditions {
            let mark: String
            switch condition.result {
            case .passed: mark = "✓"
            case .failed: mark = "✗"
            case .indeterminate: mark = "?"
            }
            lines.append("    \(mark) \(condition.clause) \(condition.title): \(condition.result.rawValue)")
            for line in condition.evidence { lines.append("        · \(line)") }
        }
        if let signer {
            lines.append("")
            lines.append("  signer:       \([signer.commonName, signer.organization].compactMap { $0 }.joined(separator: ", "))")
            lines.append("                serial \(signer.serialNumber), valid \(date(signer.notBefore)) to \(date(signer.notAfter))")
        }
        if let profile = qualifiedCertificate {
            lines.append("  qualified certificate items (FSB order 795):")
            for item in profile.items {
                lines.append("    \(item.present ? "✓" : "✗") \(item.title): \(item.detail)")
            }
        }
        if !chain.isEmpty {
            lines.append("  path:")
            for entry in chain {
                let validity =
                    "valid at signing: \(entry.validAtSigningTime ? "yes" : "no"), now: \(entry.validAtValidationTime ? "yes" : "no")"
                lines.append("    \(entry.role): \(entry.certificate.commonName ?? entry.certificate.subject) (\(validity))")
            }
        }
        for item in timestamps {
            lines.append(
                "  timestamp:    \(date(item.genTime)) by \(item.tsa?.commonName ?? "an unknown TSA"): \(item.isValid ? "valid" : "NOT valid: " + item.problems.joined(separator: "; "))"
            )
        }
        for item in archiveTimestamps ?? [] {
            lines.append(
                "  archive timestamp: \(date(item.genTime)) by \(item.tsa?.commonName ?? "an unknown TSA"): \(item.isValid ? "valid" : "NOT valid: " + item.problems.joined(separator: "; "))"
            )
        }
        if let proof = archiveProofOfExistence {
            lines.append("  proof of existence: \(date(proof)) (archive timestamp): the signature timestamps were judged at that time")
        }
        if !revocation.isEmpty {
            lines.append("  revocation:")
            for item in revocation {
                var line = "    \(item.certificate.commonName ?? item.certificate.subject): \(item.status.rawValue)"
                if let revoked = item.revocationTime { line += " on \(date(revoked))" }
                if let reason = item.reason { line += " (\(reason))" }
                if let source = item.source { line += " — \(source.rawValue)" }
                if let location = item.location { line += " \(location)" }
                if let thisUpdate = item.thisUpdate { line += ", issued \(date(thisUpdate))" }
                lines.append(line)
                for problem in item.problems { lines.append("        · \(problem)") }
            }
        }
        if let declared = declaredProperties {
            lines += declared.lines.map { "  declared:     \($0)" }
        }
        if let letterhead {
            lines.append("  letterhead:   \(letterhead.result.rawValue): \(letterhead.detail)")
        }
        for reference in signedReferences {
            lines.append(
                "  signed:       \(reference.coverage), URI=\"\(reference.uri)\", digest \(reference.digestMatches ? "matches" : "DIFFERS")"
            )
        }
        let problems = findings.filter { $0.severity != .warning }
        if !problems.isEmpty {
            lines.append("  findings:")
            for finding in problems {
                lines.append(
                    "    \(finding.severity == .failed ? "✗" : "?") \(finding.area)\(finding.subIndication.map { " [\($0.rawValue)]" } ?? ""): \(finding.message)"
                )
            }
        }
        for finding in findings where finding.severity == .warning {
            lines.append("    ! \(finding.area): \(finding.message)")
        }
        return lines.joined(separator: "\n")
    }

    /// The report as JSON: sorted keys, ISO 8601 times, stable enough to archive beside the document.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}
