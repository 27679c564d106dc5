import Foundation
import MezhvedDocuments

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
    /// problems as a ``DraftReview`` instead of throwing them; other failures are thrown.
    public func review(_ draft: OutgoingDraft, signatoryID: String? = nil, at time: Date = Date()) throws -> DraftReview {
        do {
            return DraftReview(document: try check(draft, signatoryID: signatoryID, at: time), problems: [])
        } catch let error as DocumentError where error.category == .documentInvalid || error.category == .unusableInput {
            let problems = error.problems.isEmpty ? [DocumentProblem(path: "", message: error.message)] : error.problems
            return DraftReview(document: nil, problems: problems)
        } catch let error as GatewayError where error.code == .signerNotEligible || error.code == .wrongDocument {
            let problems =
                [DocumentProblem(path: "", message: error.message)] + error.problems.map { DocumentProblem(path: "", message: $0) }
            return DraftReview(document: nil, problems: problems)
        }
    }
}
