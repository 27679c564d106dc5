import MezhvedCore

/// The one error type of the gateway's workflows: something that stops a workflow before it has a
/// result. A rejected incoming document is not an error: ``IncomingWorkflow`` returns it as a
/// quarantined ``IncomingOutcome`` with its reason.
public struct GatewayError: MezhvedError, Equatable {
    /// What kind of problem it is; codes are constants declared below, so adding one breaks no caller.
    public typealias Code = ErrorCode<GatewayError>

    public let code: Code
    public let message: String
    public let hint: String?
    /// Every problem found, for a configuration or an eligibility check.
    public let problems: [String]

    public init(_ code: Code, _ message: String, hint: String? = nil, problems: [String] = []) {
        self.code = code
        self.message = message
        self.hint = hint
        self.problems = problems
    }

    public var category: FailureCategory { code.category }
    public var problemList: [String] { problems }

    public var description: String {
        var text = message
        if let hint { text += " — \(hint)" }
        for problem in problems { text += "\n  - \(problem)" }
        return text
    }
}

extension ErrorCode where Domain == GatewayError {
    /// The gateway's configuration is missing, unreadable or inconsistent; every problem is listed.
    public static let configurationInvalid = ErrorCode("configuration-invalid", .configurationInvalid)
    /// The configuration names no signatory who can sign for the document (or not the one asked for).
    public static let noSignatory = ErrorCode("no-signatory", .configurationInvalid)
    /// A signing key's passphrase cannot be had (its file or environment variable).
    public static let passphraseUnusable = ErrorCode("passphrase-unusable", .unusableKeyMaterial)
    /// A key unlocked per signing was to sign, and no passphrase came with the signing.
    public static let passphraseRequired = ErrorCode("passphrase-required", .unusableKeyMaterial)
    /// The passphrase given with a signing does not decrypt the signatory's key.
    public static let passphraseWrong = ErrorCode("passphrase-wrong", .unusableKeyMaterial)
    /// The signer may not sign this document: another agency's key, or not the signatory it names.
    public static let signerNotEligible = ErrorCode("signer-not-eligible", .refused)
    /// The document is not one this workflow takes (a receipt given to compose, an answer without its request).
    public static let wrongDocument = ErrorCode("wrong-document", .unusableInput)
    /// A receipt does not acknowledge the message it was given for: its signature, its letterhead,
    /// the document it names or the digest of the bytes received (every reason in `problems`).
    /// The message's state is unchanged and the receipt is kept in quarantine.
    public static let receiptNotValid = ErrorCode("receipt-not-valid", .refused)
    /// A message id received before from the same peer with other bytes (a message id names one document for ever).
    public static let messageIDReused = ErrorCode("message-id-reused", .refused)
    /// A received message past its end of life (`Mezhved-Expires`): nothing was recorded.
    public static let messageExpired = ErrorCode("message-expired", .refused)
    /// A message id that is not 1–128 characters of `A–Z a–z 0–9 . _ : @ -`, or a message without its peer.
    public static let messageInvalid = ErrorCode("message-invalid", .unusableInput)
    /// No outgoing message has this id.
    public static let messageUnknown = ErrorCode("message-unknown", .unusableInput)
    /// The document cannot be queued: not an outgoing request or answer registered in the journal, or a receipt.
    public static let notSendable = ErrorCode("not-sendable", .refused)
    /// The message is already acknowledged by another receipt.
    public static let messageAcknowledged = ErrorCode("message-acknowledged", .refused)
    /// The change asked for does not fit the message's state (resending one that neither failed nor expired).
    public static let messageStateConflict = ErrorCode("message-state-conflict", .refused)
}
