import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedValidation
import MezhvedXMLDSig

/// `archive audit --qualified`: re-validates each archived signature as a qualified signature
/// (XAdES signing time and timestamps, the path, revocation, the qualified-certificate items, the
/// letterhead), with the archive's registration time as proof of existence: the hash-chained log
/// under signed checkpoints shows the document existed then, so a certificate that expired or was
/// revoked later does not undo a signature that held when it was registered.
struct QualifiedArchiveAuditor: ArchiveSignatureAuditor {
    let validator: QualifiedValidator
    /// Without the personal-data key only the signed-info level is possible.
    let fallback: XMLDSigArchiveAuditor

    func auditOriginal(_ original: [UInt8], entry: JournalEntry, at signingTime: Date) async -> SignatureAudit {
        let proof = entry.registeredAt.flatMap(ISOTime.dateOrDay) ?? signingTime
        do {
            let report = try await validator.validate(original, sourceName: entry.number, proofOfExistence: proof)
            let status: String
            switch report.indication {
            case .totalPassed: status = report.qualification.status == .qualified ? "valid" : "valid-not-qualified"
            case .totalFailed: status = "invalid"
            case .indeterminate: status = "indeterminate"
            }
            var problems = report.findings.filter { $0.severity != .warning }.map { finding in
                "\(finding.area)\(finding.subIndication.map { " [\($0.rawValue)]" } ?? ""): \(finding.message)"
            }
            if report.indication == .totalPassed, report.qualification.status != .qualified {
                problems += report.qualification.reasons.map { "not qualified: \($0)" }
            }
            return SignatureAudit(level: .full, status: status, problems: problems)
        } catch {
            return SignatureAudit(level: .full, status: "invalid", problems: ["\(error)"])
        }
    }

    func auditStored(_ stored: [UInt8], entry: JournalEntry, at signingTime: Date) async -> SignatureAudit {
        await fallback.auditStored(stored, entry: entry, at: signingTime)
    }
}
