import Foundation
import MezhvedDocuments
import MezhvedValidation

/// What checking a draft found: the document as it would read (for a preview), or every problem
/// with the form field it belongs to. The JSON API's `drafts/check` and the compose page both
/// show this; neither numbers, signs nor writes anything.
public struct DraftReview: Sendable {
    /// The document with a provisional number, when the draft is valid and the signer eligible.
    public let document: InteragencyDocument?
    /// Every problem: the form field's path (empty for the document as a whole) and the message.
    public let problems: [DocumentProblem]

    public init(document: InteragencyDocument?, problems: [DocumentProblem]) {
        self.document = document
        self.problems = problems
    }

    /// A request's response deadline (YYYY-MM-DD), were it registered today.
    public var deadline: String? {
        if case .request(let request) = document { return request.responseDeadline.iso }
        return nil
    }
}

extension OutgoingWorkflow {
    /// Checks `draft` as ``check(_:signatoryID:at:)`` does, and gives a draft's or a signer's
    /// problems as a ``DraftReview`` instead of throwing them, each in English and in Russian;
    /// other failures are thrown.
    public func review(_ draft: OutgoingDraft, signatoryID: String? = nil, at time: Date = Date()) throws -> DraftReview {
        let signatory = try gateway.signatory(signatoryID)
        let document: InteragencyDocument
        do {
            document = try provisional(draft, signatory: signatory, at: time)
        } catch let error as DocumentError where error.category == .documentInvalid || error.category == .unusableInput {
            let problems = error.problems.isEmpty ? [DocumentProblem(path: "", message: error.message)] : error.problems
            return DraftReview(document: nil, problems: problems)
        } catch let error as GatewayError where error.code == .signerNotEligible || error.code == .wrongDocument {
            let russian = "документ оформлен не от имени этого органа: шлюз подписывает только за «\(gateway.agency.shortName)»"
            return DraftReview(document: nil, problems: [DocumentProblem(path: "", message: error.message, russian: russian)])
        }
        let eligibility = SignerEligibility(signer: signatory.certificate, document: document, directory: gateway.documents.directory)
        guard eligibility.isEligible else {
            let lead = DocumentProblem(
                path: "",
                message:
                    "\(signatory.id) may not sign this \(document.kind.rawValue) on the letterhead of \(eligibility.agency); nothing was signed",
                russian: "\(signatory.ownerName) не может подписать этот документ; ничего не подписано")
            let reasons = eligibility.reasons.map { DocumentProblem(path: "", message: $0.description, russian: $0.russian) }
            return DraftReview(document: nil, problems: [lead] + reasons)
        }
        return DraftReview(document: document, problems: [])
    }
}
