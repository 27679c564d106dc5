import Hummingbird
import MezhvedArchive
import MezhvedGateway

/// The last step of the compose and answer pages: the signatory's approval. The draft is
/// numbered, signed and registered through ``OutgoingWorkflow`` (the key unlocked by the
/// signatory's passphrase for this signing alone, when it is unlocked per signing), queued in the
/// outbox, and the browser is sent to the new document's page.
extension WebSite {
    /// What the page shows again when the signing is refused before anything is numbered: the
    /// passphrase field's message and the status.
    typealias SigningRefused = @Sendable (_ passphraseErrors: [String], _ status: HTTPResponse.Status) -> Response

    func signAndQueue<Context: WebRequestContext>(
        _ draft: OutgoingDraft, form: WebForm, context: Context, person: SignedInPerson, refused: SigningRefused
    ) async throws -> Response {
        guard person.may(.compose) else {
            throw WebRefusal(
                .forbidden, "Подписывать и отправлять документы может только подписант. Черновик проверен, ничего не зарегистрировано.")
        }
        let sent: OutgoingDocument
        do {
            sent = try await outgoing.send(draft, passphrase: form.value("passphrase").map { Array($0.utf8) })
        } catch let error as GatewayError where error.code == .passphraseRequired || error.code == .passphraseWrong {
            context.logger.notice(
                "signing refused", metadata: ["caller": "\(person.name) (\(person.role))", "reason": "\(error.code.rawValue)"])
            if error.code == .passphraseRequired {
                return refused(["введите пароль ключа подписи — без него документ не подписывается"], .unprocessableContent)
            }
            return refused(["пароль не подходит к ключу подписи; документ не подписан и номер не занят"], .forbidden)
        }
        context.logger.notice(
            "document signed",
            metadata: [
                "caller": "\(person.name) (\(person.role))", "kind": "\(draft.kind.rawValue)", "number": "\(sent.entry.number)",
                "year": "\(sent.entry.year)",
            ])
        var location = Self.documentLink(sent.entry)
        do {
            _ = try await outbox.enqueue(number: sent.entry.number, year: sent.entry.year)
        } catch {
            context.logger.error("registered, not queued", metadata: ["number": "\(sent.entry.number)", "error": "\(error)"])
            location += "&queued=no"
        }
        return Self.redirect(location)
    }

    /// The signatory the pages sign with: the gateway's first, as the API without `?signatory=`.
    var pageSignatory: Signatory? { try? gateway.signatory(nil) }
}
