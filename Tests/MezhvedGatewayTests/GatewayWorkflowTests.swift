import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedTestSupport
import MezhvedXMLDSig
import Testing

@Suite("Gateway workflows")
struct GatewayWorkflowTests {
    /// Social protection sends; employment receives; both archives on `store`.
    static func exchange(_ store: StoreKind = .filesystem) async throws -> (
        sender: (gateway: Gateway, archive: ArchiveFolder, folder: String),
        receiver: (gateway: Gateway, archive: ArchiveFolder, folder: String)
    ) {
        let root = try GatewayFixtures.temporaryFolder()
        return (
            try await GatewayFixtures.gateway("social-protection", in: root + "/social-protection", store: store),
            try await GatewayFixtures.gateway("employment", in: root + "/employment", store: store)
        )
    }

    @Test("outgoing: the number printed on the document is the journal's, and the signature verifies", arguments: StoreKind.allCases)
    func outgoingNumberIsTheJournals(store: StoreKind) async throws {
        guard try store.available() else { return }
        let (sender, _) = try await Self.exchange(store)
        let workflow = OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar)
        let first = try await workflow.send(.request(GatewayFixtures.requestDraft()))
        let second = try await workflow.send(.request(GatewayFixtures.requestDraft()))
        #expect(first.entry.number == "ИСХ-000001")
        #expect(second.entry.number == "ИСХ-000002")
        guard case .request(let request) = try DocumentValidator(context: sender.gateway.documents).read(first.signed, sourceName: "sent")
        else {
            Issue.record("the signed document is not a request")
            return
        }
        #expect(request.registration.number == first.entry.number)
        #expect(first.entry.documentNumber == first.entry.number)
        #expect(first.entry.kind == .request)
        #expect(first.entry.counterpart == "employment")
        // The signatory block names the certificate's owner.
        #expect(request.signatory.fullName == sender.gateway.signatories[0].ownerName)
        let report = try SignatureVerifier(trustStore: TrustStore(directories: [GatewayFixtures.path("Certificates/trust/gost")])).verify(
            first.signed, sourceName: "sent")
        #expect(report.status == .valid, "\(report.problems)")
        #expect(report.xades != nil, "the gateway's policy signs XAdES-BES")
    }

    @Test(
        "XAdES-T through the loopback TSA: the outgoing request and the receipt carry timestamps; the signing time registered is the timestamp's"
    )
    func timestampedExchange() async throws {
        let port = try LocalService.freePort()
        let tsa = try LocalService(
            "TSA", executable: "/usr/bin/env", arguments: ["python3", GatewayFixtures.path("Tests/Interop/tsa_server.py"), String(port)],
            port: port)
        defer { tsa.stop() }
        let policy = ", signatureForm: t, tsa: \"http://127.0.0.1:\(port)/tsa\", networkTimeout: 3"
        let root = try GatewayFixtures.temporaryFolder()
        let sender = try await GatewayFixtures.gateway("social-protection", in: root + "/sp", extraPolicy: policy)
        let receiver = try await GatewayFixtures.gateway("employment", in: root + "/emp", extraPolicy: policy)
        let sent = try await OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).send(
            .request(GatewayFixtures.requestDraft()))
        #expect(String(decoding: sent.signed, as: UTF8.self).contains("SignatureTimeStamp"))
        let outcome = try await IncomingWorkflow(gateway: receiver.gateway, registrar: receiver.archive.registrar).receive(
            sent.signed, sourceName: "timestamped")
        guard case .registered(let entry) = outcome.disposition else {
            Issue.record("not registered: \(outcome.reasons)")
            return
        }
        #expect(outcome.validation?.signingTime.source == .timestamp)
        #expect(entry.signingTimeSource == .timestamp)
        let receipt = try #require(outcome.receipt)
        #expect(String(decoding: receipt.document, as: UTF8.self).contains("SignatureTimeStamp"))
        // With the TSA gone nothing can be signed: the number taken for it is voided with the reason.
        tsa.stop()
        await #expect(throws: (any Error).self) {
            _ = try await OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).send(
                .request(GatewayFixtures.requestDraft()))
        }
        let voided = try await sender.archive.registrar.entries(JournalQuery(status: .voided))
        #expect(voided.count == 1)
        #expect(voided.first?.voidReason?.hasPrefix("not signed:") == true, "\(voided)")
    }

    @Test("signatureForm lta: the outgoing request carries its validation data and an archive timestamp; the receiver registers it")
    func archiveTimestampedRequest() async throws {
        let port = try LocalService.freePort()
        let tsa = try LocalService(
            "TSA", executable: "/usr/bin/env", arguments: ["python3", GatewayFixtures.path("Tests/Interop/tsa_server.py"), String(port)],
            port: port)
        defer { tsa.stop() }
        let root = try GatewayFixtures.temporaryFolder()
        let sender = try await GatewayFixtures.gateway(
            "social-protection", in: root + "/sp",
            extraPolicy: ", signatureForm: lta, tsa: \"http://127.0.0.1:\(port)/tsa\", networkTimeout: 3")
        let receiver = try await GatewayFixtures.gateway("employment", in: root + "/emp")
        let sent = try await OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).send(
            .request(GatewayFixtures.requestDraft()))
        let text = String(decoding: sent.signed, as: UTF8.self)
        #expect(text.contains("<xades:CertificateValues>") && text.contains("<xades141:ArchiveTimeStamp "))
        let outcome = try await IncomingWorkflow(gateway: receiver.gateway, registrar: receiver.archive.registrar).receive(
            sent.signed, sourceName: "archive-timestamped")
        guard case .registered = outcome.disposition else {
            Issue.record("not registered: \(outcome.reasons)")
            return
        }
        #expect(outcome.validation?.signatureForm == "XAdES-LTA")
        #expect(outcome.validation?.archiveTimestamps?.count == 1)
    }

    @Test("an archive whose archive.json names another gateway certificate than the configuration pins is refused")
    func pinnedGatewayCertificate() async throws {
        let (sender, _) = try await Self.exchange()
        var configuration = sender.gateway.configuration
        configuration.archive.gatewayCertificate = GatewayFixtures.path("Certificates/agencies/health/cert.pem")
        await #expect {
            _ = try await Gateway.open(configuration).openArchive()
        } throws: { error in
            (error as? GatewayError)?.message.contains("names another gateway certificate") ?? false
        }
        configuration.archive.gatewayCertificate = GatewayFixtures.path("Certificates/agencies/social-protection/cert.pem")
        _ = try await Gateway.open(configuration).openArchive()
    }

    @Test("outgoing: sent on 25 December 2026, the deadline runs into 2027 by the Labour Code's rules until 2027 is imported")
    func deadlineIntoNextYear() async throws {
        let (sender, _) = try await Self.exchange()
        let christmas = try #require(ISOTime.date("2026-12-25T09:00:00Z"))
        let sent = try await OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).send(
            .request(GatewayFixtures.requestDraft()), at: christmas)
        // 28, 29, 30 December (31 December 2026 is a day off), then 1–8 January are holidays and the 9th and 10th a weekend.
        #expect(sent.entry.deadline == "2027-01-19")
        #expect(sent.entry.documentDate == "2026-12-25")
    }

    @Test("outgoing: a signer who is not the signatory the document names is refused before anything is numbered")
    func wrongSignatoryRefusedBeforeSigning() async throws {
        let (sender, _) = try await Self.exchange()
        var draft = try GatewayFixtures.requestDraft()
        draft.signatory = OfficialPerson(fullName: "Волкова Елена Николаевна", position: "Председатель комитета")
        let workflow = OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar)
        await #expect {
            _ = try await workflow.send(.request(draft))
        } throws: { error in
            guard let error = error as? GatewayError, error.code == .signerNotEligible else { return false }
            return error.problems.contains { $0.contains("Волкова Елена Николаевна") && $0.contains("Иванова") }
        }
        #expect(try await sender.archive.registrar.entries(JournalQuery()).isEmpty, "no number may be taken for a refused draft")
    }

    @Test("outgoing: a draft on another agency's letterhead is refused before anything is numbered")
    func otherLetterheadRefused() async throws {
        let (sender, _) = try await Self.exchange()
        let draft = try GatewayFixtures.requestDraft(sender: "health", recipient: "employment")
        await #expect {
            _ = try await OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).send(.request(draft))
        } throws: { ($0 as? GatewayError)?.code == .signerNotEligible }
        #expect(try await sender.archive.registrar.entries(JournalQuery()).isEmpty)
    }

    @Test("outgoing: an invalid draft lists its problems and takes no number")
    func invalidDraftTakesNoNumber() async throws {
        let (sender, _) = try await Self.exchange()
        var draft = try GatewayFixtures.requestDraft()
        draft.subject = ""
        draft.recipient = "nowhere"
        await #expect {
            _ = try await OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).send(.request(draft))
        } throws: { error in
            guard let error = error as? DocumentError else { return false }
            return error.problems.count >= 2
        }
        #expect(try await sender.archive.registrar.entries(JournalQuery()).isEmpty)
    }

    @Test(
        "incoming: registered under an incoming number, an accepted receipt signed and registered; the receipt delivers the request",
        arguments: StoreKind.allCases)
    func incomingRegisteredAndReceipted(store: StoreKind) async throws {
        guard try store.available() else { return }
        let (sender, receiver) = try await Self.exchange(store)
        let sent = try await OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).send(
            .request(GatewayFixtures.requestDraft()))
        let incoming = IncomingWorkflow(gateway: receiver.gateway, registrar: receiver.archive.registrar)
        let outcome = try await incoming.receive(sent.signed, sourceName: "from social-protection")
        guard case .registered(let entry) = outcome.disposition else {
            Issue.record("not registered: \(outcome.disposition) \(outcome.reasons)")
            return
        }
        #expect(entry.number.hasPrefix("ВХ-"))
        #expect(entry.direction == .incoming)
        #expect(entry.counterpart == "social-protection")
        #expect(entry.documentNumber == sent.entry.number)
        #expect(outcome.validation?.indication == .totalPassed)
        let receipt = try #require(outcome.receipt)
        #expect(receipt.entry.direction == .outgoing)
        guard case .accepted(let number, _) = receipt.outcome else {
            Issue.record("the receipt is not an acceptance")
            return
        }
        #expect(number == entry.number)
        // The same bytes again: nothing new.
        let again = try await incoming.receive(sent.signed, sourceName: "resent")
        guard case .duplicate(let existing) = again.disposition else {
            Issue.record("a resend was not recognised: \(again.disposition)")
            return
        }
        #expect(existing.number == entry.number)
        #expect(again.receipt?.document == receipt.document, "a resend gets the receipt of the first time, byte for byte")
        // The receipt goes back to the sender: its request is now delivered.
        let back = try await IncomingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).receive(
            receipt.document, sourceName: "receipt from employment")
        guard case .registered = back.disposition else {
            Issue.record("the receipt was not registered: \(back.disposition) \(back.reasons)")
            return
        }
        #expect(back.receipt == nil, "a receipt is not acknowledged with another receipt")
        let request = try await sender.archive.registrar.entry(number: sent.entry.number)
        #expect(request.recordedStatus == .delivered)
    }

    @Test("incoming: an answer registered at the requester closes the request", arguments: StoreKind.allCases)
    func answerClosesRequest(store: StoreKind) async throws {
        guard try store.available() else { return }
        let (sender, receiver) = try await Self.exchange(store)
        let sent = try await OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).send(
            .request(GatewayFixtures.requestDraft()))
        _ = try await IncomingWorkflow(gateway: receiver.gateway, registrar: receiver.archive.registrar).receive(
            sent.signed, sourceName: "in")
        guard case .request(let original) = try DocumentValidator(context: receiver.gateway.documents).read(sent.signed, sourceName: "in")
        else { return }
        let form = try [UInt8](
            Data(contentsOf: URL(fileURLWithPath: GatewayFixtures.path("Samples/forms/answer-unemployment-status.yaml"))))
        var draft = try DocumentComposer(context: receiver.gateway.documents).answerDraft(
            form: form, source: "answer form", baseDirectory: GatewayFixtures.path("Samples/forms"))
        draft.signatory = nil
        let answer = try await OutgoingWorkflow(gateway: receiver.gateway, registrar: receiver.archive.registrar).send(
            .answer(draft, to: original))
        let outcome = try await IncomingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).receive(
            answer.signed, sourceName: "answer")
        guard case .registered(let entry) = outcome.disposition else {
            Issue.record("the answer was not registered: \(outcome.reasons)")
            return
        }
        #expect(entry.inReplyTo == sent.entry.number)
        let request = try await sender.archive.registrar.entry(number: sent.entry.number)
        #expect(request.recordedStatus == .answered)
        #expect(request.answeredBy == [entry.number])
    }

    /// Receives `bytes` at `gateway` and returns the quarantine reason (nil when not quarantined).
    static func quarantineReason(_ bytes: [UInt8], at gateway: (gateway: Gateway, archive: ArchiveFolder, folder: String)) async throws
        -> (RejectionReason?, IncomingOutcome)
    {
        let outcome = try await IncomingWorkflow(gateway: gateway.gateway, registrar: gateway.archive.registrar).receive(
            bytes, sourceName: "suspect")
        guard case .quarantined(let kept, let reason) = outcome.disposition else { return (nil, outcome) }
        // Kept, never dropped: the quarantine gives the document back byte for byte.
        #expect(try await gateway.archive.registrar.original(of: kept) == bytes)
        return (reason, outcome)
    }

    @Test(
        "incoming: from the gateway's own agency, to another recipient, altered, or unreadable — each quarantined with its reason",
        arguments: StoreKind.allCases)
    func incomingRefusals(store: StoreKind) async throws {
        guard try store.available() else { return }
        let (sender, receiver) = try await Self.exchange(store)
        let outgoing = OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar)
        let sent = try await outgoing.send(.request(GatewayFixtures.requestDraft()))

        // The sender's own document, received by the sender.
        let (own, _) = try await Self.quarantineReason(sent.signed, at: sender)
        #expect(own == .fromOwnAgency)

        // Addressed to health, received by employment: a rejection receipt goes back.
        let toHealth = try await outgoing.send(.request(GatewayFixtures.requestDraft(recipient: "health")))
        let (wrong, wrongOutcome) = try await Self.quarantineReason(toHealth.signed, at: receiver)
        #expect(wrong == .wrongRecipient)
        if case .rejected(let text)? = wrongOutcome.receipt?.outcome {
            #expect(text.contains("адресован другому органу"))
        } else {
            Issue.record("no rejection receipt for a document addressed to another agency")
        }

        // One letter of the citizen's name changed after signing.
        let text = String(decoding: sent.signed, as: UTF8.self).replacingOccurrences(of: "Васильев", with: "Васильёв")
        let (altered, alteredOutcome) = try await Self.quarantineReason(Array(text.utf8), at: receiver)
        #expect(altered == .signatureNotValid)
        #expect(alteredOutcome.validation?.indication == .totalFailed)

        // Not XML at all.
        let (garbage, _) = try await Self.quarantineReason(Array("not a document".utf8), at: receiver)
        #expect(garbage == .unusableDocument)

        let kept = try await receiver.archive.registrar.quarantined(JournalQuery())
        #expect(kept.count == 3)
        #expect(try await receiver.archive.registrar.entries(JournalQuery(direction: .incoming)).isEmpty)
    }

    @Test("incoming: a signature that holds but is not qualified is quarantined when the policy wants qualified ones")
    func notQualifiedQuarantined() async throws {
        let root = try GatewayFixtures.temporaryFolder()
        let receiver = try await GatewayFixtures.gateway("employment", in: root + "/employment", trust: "Certificates/trust/all")
        // A social-protection request signed with the RSA test signer: valid and trusted, not qualified.
        let composer = DocumentComposer(context: receiver.gateway.documents)
        let draft = try GatewayFixtures.requestDraft(keepSignatory: true)
        let request = try composer.request(
            draft, registration: Registration(number: "01-12/000777", date: CalendarDay(year: 2026, month: 12, day: 1)!))
        let signer = try XMLSigner(
            key: SigningKey.load(contentsOf: GatewayFixtures.path("Certificates/rsa/signer.key.pem")),
            certificate: Certificate.load(contentsOf: GatewayFixtures.path("Certificates/rsa/signer.pem"))[0])
        let signed = try signer.sign(try composer.xml(.request(request)), sourceName: "rsa")
        let (reason, outcome) = try await Self.quarantineReason(signed, at: receiver)
        #expect(reason == .notQualified, "\(outcome.reasons)")
    }
}
