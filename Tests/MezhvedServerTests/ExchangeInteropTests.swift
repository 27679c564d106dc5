import Foundation
import MezhvedTestSupport
import Testing

/// `mezhved serve` against a peer written from docs/exchange-protocol.md alone
/// (`Tests/Interop/exchange_peer.py`: Python's ssl and http.client, lxml, the separate GOST
/// implementation gost_xmldsig.py), and against curl on plain loopback HTTP.
@Suite("Exchange interop: mezhved serve and an independent peer", .serialized, .timeLimit(.minutes(3)))
struct ExchangeInteropTests {
    static let peer = ServeFixture.path("Tests/Interop/exchange_peer.py")
    static let noPython = "the interop Python (MEZHVED_PYTHON or .venv-interop with lxml, gostcrypto) is absent: run scripts/setup.sh"

    /// social-protection (the sender, no server) and employment (serving over mutual TLS, pinning
    /// social-protection), and a request composed, numbered and signed by social-protection's gateway.
    static func twoGateways(tls: Bool = true) throws -> (root: String, sender: GatewayFolder, receiver: GatewayFolder, request: String) {
        let root = try ServeFixture.temporaryFolder()
        let sender = try GatewayFolder.create("social-protection", in: root)
        let receiver = try GatewayFolder.create(
            "employment", in: root, exchange: GatewayFolder.Exchange(tls: tls, peers: ["social-protection"]))
        let request = root + "/request.xml"
        let composed = try TestProcess.mezhved([
            "request", "new", "--gateway", sender.configuration, "--form",
            ServeFixture.path("Samples/forms/request-unemployment-status.yaml"), "-o", request,
        ])
        guard composed.status == 0 else { throw FixtureFailure("request new: \(composed.stderr)") }
        return (root, sender, receiver, request)
    }

    /// The Python peer's push to `server`: its JSON line (status, headers) and the rest of its output.
    static func push(_ python: String, _ document: String, to server: ServedProcess, id: String, receipt: String, extra: [String] = [])
        throws -> (exit: Int32, json: [String: Any], output: String, stderr: String)
    {
        let result = try TestProcess.run(
            python,
            [
                peer, "push", document, "--url", server.url, "--cert", ServeFixture.tlsCertificate("social-protection"), "--key",
                ServeFixture.tlsKey("social-protection"), "--pin", ServeFixture.tlsCertificate("employment"), "--from",
                "social-protection", "--to", "employment", "--message-id", id, "--signer-cert", ServeFixture.gostCertificate("employment"),
                "--receipt", receipt, "--timeout", "20",
            ] + extra)
        let first = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        let json = (try? JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]) ?? [:]
        return (result.status, json, result.stdout, result.stderr)
    }

    @Test(
        "the Python peer pushes a request mezhved composed; mezhved's receipt verifies independently (GOST signature, signer, Streebog of the bytes sent)",
        .enabled(if: ServeFixture.interopPython != nil, Comment(rawValue: noPython)))
    func pythonPeerPushesAndVerifiesTheReceipt() async throws {
        let python = try #require(ServeFixture.interopPython)
        let (root, _, receiver, request) = try Self.twoGateways()
        let before = try receiver.recorded()
        try await ServedProcess.run(receiver) { server in
            let first = try Self.push(python, request, to: server, id: "interop-1", receipt: root + "/receipt-1.xml")
            #expect(first.exit == 0, "\(first.output) \(first.stderr)")
            #expect(first.json["status"] as? Int == 200)
            let headers = first.json["headers"] as? [String: String] ?? [:]
            #expect(headers["Mezhved-Receipt"] == "accepted")
            #expect(headers["Mezhved-Duplicate"] == "false")
            #expect(headers["Mezhved-Incoming-Number"]?.hasPrefix("%D0%92%D0%A5-") == true, "ВХ-…, percent-encoded: \(headers)")
            #expect(first.output.contains("RECEIPT VERIFIED accepted ВХ-"), "\(first.output)")

            // The same message again: the first receipt, byte for byte, nothing registered twice.
            let again = try Self.push(python, request, to: server, id: "interop-1", receipt: root + "/receipt-2.xml")
            #expect(again.exit == 0, "\(again.output) \(again.stderr)")
            #expect((again.json["headers"] as? [String: String])?["Mezhved-Duplicate"] == "true")
            #expect(again.output.contains("(duplicate)"))
            #expect(try ServeFixture.read(root + "/receipt-1.xml") == ServeFixture.read(root + "/receipt-2.xml"))
        }
        let after = try receiver.recorded()
        let added = after.journal.filter { !before.journal.contains($0) }
        #expect(added.count == 2, "the request (incoming) and its receipt (outgoing): \(added)")
        #expect(added.filter { $0.contains("\tincoming\t") && $0.contains("\trequest\t") }.count == 1, "\(added)")
        #expect(added.filter { $0.contains("\toutgoing\t") && $0.contains("\treceipt\t") }.count == 1, "\(added)")
        #expect(after.quarantine == before.quarantine)

        // The peer's checks can fail: the receipt against a copy of the request one byte longer (its
        // digest is not of the bytes sent), and a receipt with one signed byte changed.
        let longer = root + "/request-longer.xml"
        try ServeFixture.write(try ServeFixture.read(request) + [0x0A], to: longer)
        let check = { (receipt: String, sent: String) in
            try TestProcess.run(
                python,
                [Self.peer, "check", receipt, "--sent", sent, "--from", "social-protection", "--to", "employment"])
        }
        let good = try check(root + "/receipt-1.xml", request)
        #expect(good.status == 0, "\(good.stderr)")
        let otherBytes = try check(root + "/receipt-1.xml", longer)
        #expect(otherBytes.status == 5)
        #expect(otherBytes.stderr.contains("the received digest is not the Streebog-256 of the bytes sent"), "\(otherBytes.stderr)")
        let receiptText = String(decoding: try ServeFixture.read(root + "/receipt-1.xml"), as: UTF8.self)
        let forged = root + "/receipt-forged.xml"
        try ServeFixture.write(Array(receiptText.replacingOccurrences(of: "-2026-000001\"", with: "-2026-000002\"").utf8), to: forged)
        let forgedCheck = try check(forged, request)
        #expect(forgedCheck.status == 5)
        #expect(forgedCheck.stderr.contains("the GOST signature does not verify"), "\(forgedCheck.stderr)")
        // …and the receipt must come from the receiving agency's pinned certificate.
        try await ServedProcess.run(receiver) { server in
            let wrongSigner = try Self.push(
                python, request, to: server, id: "interop-1", receipt: root + "/receipt-3.xml",
                extra: ["--signer-cert", ServeFixture.gostCertificate("health")])
            #expect(wrongSigner.exit == 5)
            #expect(wrongSigner.stderr.contains("other than the receiving agency's pinned one"), "\(wrongSigner.stderr)")
        }
    }

    @Test(
        "the Python peer refuses a server whose TLS certificate is not the pinned one (exit 3), and nothing is recorded",
        .enabled(if: ServeFixture.interopPython != nil, Comment(rawValue: noPython)))
    func pythonPeerRefusesAnUnpinnedServer() async throws {
        let python = try #require(ServeFixture.interopPython)
        let (root, _, receiver, request) = try Self.twoGateways()
        let before = try receiver.recorded()
        try await ServedProcess.run(receiver) { server in
            let result = try TestProcess.run(
                python,
                [
                    Self.peer, "push", request, "--url", server.url, "--cert", ServeFixture.tlsCertificate("social-protection"),
                    "--key", ServeFixture.tlsKey("social-protection"), "--pin", ServeFixture.tlsCertificate("health"), "--from",
                    "social-protection", "--to", "employment", "--receipt", root + "/none.xml", "--timeout", "20",
                ])
            #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains("no answer from"), "\(result.stderr)")
        }
        #expect(try receiver.recorded() == before)
    }

    @Test("plain HTTP on loopback: the peer names itself in Mezhved-From; the push is registered and answered with the receipt")
    func plainLoopbackPush() async throws {
        let (root, _, receiver, request) = try Self.twoGateways(tls: false)
        try await ServedProcess.run(receiver) { server in
            let digest = try Curl.contentDigest(of: request)
            let answer = try Curl.push(
                server.httpURL, body: request,
                headers: Curl.messageHeaders(id: "plain-1", from: "social-protection", to: "employment") + [("Content-Digest", digest)],
                client: nil, pin: nil, in: root)
            #expect(answer.status == 200, "\(answer.text) \(answer.stderr)")
            #expect(answer.header("Mezhved-Receipt") == "accepted")
            #expect(answer.text.contains("<Accepted incomingNumber=\"ВХ-"))
            // A peer that is not configured is refused, whatever it claims.
            let stranger = try Curl.push(
                server.httpURL, body: request, headers: Curl.messageHeaders(id: "plain-2", from: "health", to: "employment"), client: nil,
                pin: nil, in: root)
            #expect(stranger.status == 403, "\(stranger.text)")
            #expect(stranger.problemCode == "peer-unknown")
        }
        let journal = try receiver.recorded().journal
        #expect(journal.filter { $0.contains("\tincoming\t") }.count == 1, "\(journal)")
    }

    @Test("SIGTERM stops mezhved serve gracefully (exit 0); SIGKILL ends it at once")
    func serverStops() async throws {
        let root = try ServeFixture.temporaryFolder()
        let receiver = try GatewayFolder.create("employment", in: root, exchange: GatewayFolder.Exchange(peers: ["social-protection"]))
        let graceful = try await ServedProcess.serve(receiver)
        #expect(graceful.isRunning)
        #expect(await graceful.stop() == .exited(0), "\(graceful.log())")
        let killed = try await ServedProcess.serve(receiver)
        #expect(await killed.stop(graceful: false) == .signalled(SIGKILL))
    }
}
