import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedValidation
import MezhvedXMLDSig

/// Receipts for outgoing messages: checked before anything changes, then registered and the
/// message acknowledged.
extension Outbox {
    /// Takes the receipt a peer gave for `messageID` (in a push's response, or posted by a puller).
    /// Before any state changes it checks that the receipt is a valid qualified signature under the
    /// gateway's policy, a receipt on the letterhead of the message's peer addressed to this agency,
    /// that it names the document sent (number and date) and that its received digest is the
    /// Streebog-256 of exactly the bytes sent. Only then it registers the receipt as an incoming
    /// document (the journal links it to the outgoing entry: delivered or rejected) and records the
    /// message `receipted` or `rejected`. A receipt that fails is a `receiptNotValid` error with
    /// every reason, the message unchanged and the receipt kept in quarantine as evidence. The same
    /// receipt again returns the message as it stands; another receipt for an acknowledged message
    /// is `messageAcknowledged`.
    public func acceptReceipt(_ receiptBytes: [UInt8], for messageID: String, at time: Date = Date()) async throws -> MessageStatus {
        let current = try await message(messageID)
        let digest = ArchiveDigest.sha256Hex(receiptBytes)
        if current.state.isAcknowledged {
            if let number = current.receiptNumber, try await registrar.entries(JournalQuery(documentDigest: digest)).first?.number == number
            {
                return current
            }
            throw GatewayError(
                .messageAcknowledged,
                "message \(messageID) (\(current.number)) is already \(current.state.rawValue) by the receipt \(current.receiptNumber ?? "?")",
                hint: "a message is acknowledged once; this other receipt is not taken")
        }
        let entry = try await registrar.entry(number: current.number, year: current.year)
        let sent = try await registrar.original(of: entry)
        let name = "the receipt for message \(messageID)"
        let check = try await checkReceipt(receiptBytes, name: name, message: current, entry: entry, sent: sent, at: time)
        guard check.problems.isEmpty, let report = check.report, let receipt = check.receipt else {
            try await keepAsEvidence(receiptBytes, name: name, message: current, problems: check.problems, report: check.report)
            throw GatewayError(
                .receiptNotValid,
                "\(name) from \(current.peer) does not acknowledge \(entry.number): \(check.problems.count) problem(s)",
                hint: "the message stays unacknowledged and the receipt is kept in quarantine; it is delivered again",
                problems: check.problems)
        }
        let registered = try await register(receiptBytes, digest: digest, name: name, report: report, peer: current.peer)
        guard registered.acknowledges == entry.key else {
            throw GatewayError(
                .receiptNotValid, "\(name) was registered as \(registered.number) but the journal does not link it to \(entry.number)",
                hint: "check the journal with `mezhved archive show \(registered.number)`")
        }
        let state: MessageState
        switch receipt.outcome {
        case .accepted: state = .receipted
        case .rejected: state = .rejected
        }
        do {
            return try await registrar.record(
                MessageTransition(
                    messageID: messageID, state: state, number: current.number, year: current.year, receiptNumber: registered.number))
        } catch let error as ArchiveError where error.code == .messageUnusable {
            // The same receipt taken at the same time by another request.
            let now = try await message(messageID)
            if now.state.isAcknowledged && now.receiptNumber == registered.number { return now }
            throw error
        }
    }

    private struct ReceiptCheck {
        var problems: [String] = []
        var report: QualifiedValidationReport?
        var receipt: DeliveryReceipt?
    }

    /// Every reason the receipt does not acknowledge the message; throws only when the check itself
    /// cannot run (a revocation source down, say).
    private func checkReceipt(
        _ bytes: [UInt8], name: String, message: MessageStatus, entry: JournalEntry, sent: [UInt8], at time: Date
    ) async throws -> ReceiptCheck {
        var check = ReceiptCheck()
        let report: QualifiedValidationReport
        do {
            report = try await gateway.validator.validate(bytes, sourceName: name, at: time)
        } catch let error as XMLDSigError {
            check.problems.append("it is not a signed document mezhved can read: \(error.message)")
            return check
        }
        check.report = report
        if report.indication != .totalPassed {
            check.problems.append(
                "its signature is \(report.indication.rawValue)\(report.subIndication.map { " (\($0.rawValue))" } ?? "")")
            check.problems += report.findings.filter { $0.severity != .warning }.map(\.message)
        } else if gateway.configuration.policy.requireQualified && report.qualification.status != .qualified {
            check.problems.append("its signature holds but is not a qualified electronic signature")
            check.problems += report.qualification.reasons
        }
        let validation: DocumentValidationReport
        do {
            validation = try DocumentValidator(context: gateway.documents).validate(bytes, sourceName: name)
        } catch {
            check.problems.append("it is not an interagency document: \(error)")
            return check
        }
        guard case .receipt(let receipt)? = validation.parsed else {
            check.problems.append("it is a \(validation.parsed?.kind.rawValue ?? "document") mezhved cannot read, not a receipt")
            return check
        }
        check.problems += validation.problems.map(\.description)
        if receipt.sender.agency != message.peer {
            check.problems.append(
                "it is on the letterhead of \(receipt.sender.agency), not of \(message.peer), the agency the message went to")
        }
        if receipt.recipient.agency != gateway.agency.id {
            check.problems.append("it is addressed to \(receipt.recipient.agency), not to \(gateway.agency.id)")
        }
        let named = receipt.receivedDocument
        if named.number != entry.number || (entry.documentDate.map { $0 != named.date.iso } ?? false) {
            check.problems.append(
                "it acknowledges № \(DocumentText.cut(named.number)) of \(named.date.iso), not the document sent, № \(entry.number) of \(entry.documentDate ?? "?")"
            )
        }
        let expected = Data(try XMLCanonicalization.digest(sent, algorithm: .streebog256)).base64EncodedString()
        if receipt.receivedDigestAlgorithm != DigestAlgorithm.streebog256.uri || receipt.receivedDigest == nil {
            check.problems.append("it gives no Streebog-256 digest of the bytes received")
        } else if receipt.receivedDigest != expected {
            check.problems.append(
                "its digest of the bytes received (\(DocumentText.cut(receipt.receivedDigest ?? ""))) is not that of the bytes sent (\(expected)): the peer received other bytes"
            )
        }
        check.receipt = receipt
        return check
    }

    /// Keeps a receipt that failed its check in quarantine (once per receipt), as evidence.
    private func keepAsEvidence(
        _ bytes: [UInt8], name: String, message: MessageStatus, problems: [String], report: QualifiedValidationReport?
    ) async throws {
        let digest = ArchiveDigest.sha256Hex(bytes)
        guard try await registrar.quarantined(JournalQuery(documentDigest: digest)).isEmpty else { return }
        let reason = "receipt-not-valid: for message \(message.messageID) (\(message.number)): \(problems.first ?? "not a valid receipt")"
        let status: SignatureStatus? =
            report.map { $0.indication == .totalPassed ? .totalPassed : $0.indication == .totalFailed ? .totalFailed : .indeterminate }
        _ = try await registrar.quarantine(
            Rejection(document: bytes, sourceName: name, reason: String(reason.prefix(1000)), signatureStatus: status, peer: message.peer))
    }

    /// Registers a checked receipt as an incoming document, or finds it registered before.
    private func register(_ bytes: [UInt8], digest: String, name: String, report: QualifiedValidationReport, peer: String) async throws
        -> JournalEntry
    {
        if let existing = try await registrar.entries(JournalQuery(documentDigest: digest)).first { return existing }
        do {
            return try await registrar.register(
                Submission(
                    direction: .incoming, document: bytes, sourceName: name, signingTime: report.signingTime.time,
                    signingTimeSource: IncomingWorkflow.archiveSource(report.signingTime.source), signatureStatus: .totalPassed,
                    peer: peer))
        } catch let error as ArchiveError where error.code == .documentRefused {
            guard let existing = try await registrar.entries(JournalQuery(documentDigest: digest)).first else { throw error }
            return existing
        }
    }
}
