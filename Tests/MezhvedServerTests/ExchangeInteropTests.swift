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
    static func twoGateways(tls: Bool = true) async throws -> (
        root: String, sender: GatewayFolder, receiver: GatewayFolder, request: String
    ) {
        let root = try ServeFixture.temporaryFolder()
        let sender = try await GatewayFolder.create("social-protection", in: root)
        let receiver = try await GatewayFolder.create(
            "employment", in: root, exchange: GatewayFolder.Exchange(tls: tls, peers: ["social-protection"]))
        let request = root + "/request.xml"
        let composed = try await TestProcess.mezhved([
            "request", "new", "--gateway", sender.configuration, "--form",
            ServeFixture.path("Samples/forms/request-unemployment-status.yaml"), "-o", request,
        ])
        guard composed.status == 0 else { throw FixtureFailure("request new: \(composed.stderr)") }
        return (root, sender, receiver, request)
    }

    /// The Python peer's push to `server`: its JSON line (status, headers) and the rest of its output.
    static func push(_ python: String, _ document: String, to server: ServedProcess, id: String, receipt: String, extra: [String] = [])
        async throws -> (exit: Int32, json: [String: Any], output: String, stderr: String)
    {
        let result = try await TestProcess.run(
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
        let (root, _, receiver, request) = try await Self.twoGateways()
        let before = try await receiver.recorded()
        try await ServedProcess.run(receiver) { server in
            let first = try await Self.push(python, request, to: server, id: "interop-1", receipt: root + "/receipt-1.xml")
            #expect(first.exit == 0, "\(first.output) \(first.stderr)")
            #expect(first.json["status"] as? Int == 200)
            let headers = first.json["headers"] as? [String: String] ?? [:]
            #expect(headers["Mezhved-Receipt"] == "accepted")
            #expect(headers["Mezhved-Duplicate"] == "false")
            #expect(headers["Mezhved-Incoming-Number"]?.hasPrefix("%D0%92%D0%A5-") == true, "ВХ-…, percent-encoded: \(headers)")
            #expect(first.output.contains("RECEIPT VERIFIED accepted ВХ-"), "\(first.output)")

            // The same message again: the first receipt, byte for byte, nothing registered twice.
            let again = try await Self.push(python, request, to: server, id: "interop-1", receipt: root + "/receipt-2.xml")
            #expect(again.exit == 0, "\(again.output) \(again.stderr)")
            #expect((again.json["headers"] as? [String: String])?["Mezhved-Duplicate"] == "true")
            #expect(again.output.contains("(duplicate)"))
            #expect(try ServeFixture.read(root + "/receipt-1.xml") == ServeFixture.read(root + "/receipt-2.xml"))
        }
        let after = try await receiver.recorded()
        let added = after.journal.filter { !before.journal.contains($0) }
        #expect(added.count == 2, "the request (incoming) and its receipt (outgoing): \(added)")
        #expect(added.filter { $0.contains("\tincoming\t") && $0.contains("\trequest\t") }.count == 1, "\(added)")
        #expect(added.filter { $0.contains("\toutgoing\t") && $0.contains("\treceipt\t") }.count == 1, "\(added)")
        #expect(after.quarantine == before.quarantine)

        // The peer's checks can fail: the receipt against a copy of the request one byte longer (its
        // digest is not of the bytes sent), and a receipt with one signed byte changed.
        let longer = root + "/request-longer.xml"
        try ServeFixture.write(try ServeFixture.read(request) + [0x0A], to: longer)
        let check = { (receipt: String, sent: String) async throws in
            try await TestProcess.run(
                python,
                [Self.peer, "check", receipt, "--sent", sent, "--from", "social-protection", "--to", "employment"])
        }
        let good = try await check(root + "/receipt-1.xml", request)
        #expect(good.status == 0, "\(good.stderr)")
        let otherBytes = try await check(root + "/receipt-1.xml", longer)
        #expect(otherBytes.status == 5)
        #expect(otherBytes.stderr.contains("the received digest is not the Streebog-256 of the bytes sent"), "\(otherBytes.stderr)")
        let receiptText = String(decoding: try ServeFixture.read(root + "/receipt-1.xml"), as: UTF8.self)
        let forged = root + "/receipt-forged.xml"
        try ServeFixture.write(Array(receiptText.replacingOccurrences(of: "-2026-000001\"", with: "-2026-000002\"").utf8), to: forged)
        let forgedCheck = try await check(forged, request)
        #expect(forgedCheck.status == 5)
        #expect(forgedCheck.stderr.contains("the GOST signature does not verify"), "\(forgedCheck.stderr)")
        // …and the receipt must come from the receiving agency's pinned certificate.
        try await ServedProcess.run(receiver) { server in
            let wrongSigner = try await Self.push(
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
        let (root, _, receiver, request) = try await Self.twoGateways()
        let before = try await receiver.recorded()
        try await ServedProcess.run(receiver) { server in
            let result = try await TestProcess.run(
                python,
                [
                    Self.peer, "push", request, "--url", server.url, "--cert", ServeFixture.tlsCertificate("social-protection"),
                    "--key", ServeFixture.tlsKey("social-protection"), "--pin", ServeFixture.tlsCertificate("health"), "--from",
                    "social-protection", "--to", "employment", "--receipt", root + "/none.xml", "--timeout", "20",
                ])
            #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains("no answer from"), "\(result.stderr)")
        }
        await #expect(try receiver.recorded() == before)
    }

    /// The Python peer serving as employment (`exchange_peer.py serve`), with `pins` as its clients.
    static func pythonPeer(_ python: String, in root: String, pins: [String]) async throws -> ServedProcess {
        try await ServedProcess.start(
            "exchange_peer.py serve", TestProcess.locate(python) ?? python,
            [
                peer, "serve", "--listen", "127.0.0.1:0", "--cert", ServeFixture.tlsCertificate("employment"), "--key",
                ServeFixture.tlsKey("employment"), "--agency", "employment", "--signer-key", ServeFixture.gostKey("employment"),
                "--signer-cert", ServeFixture.gostCertificate("employment"), "--store", root + "/peer-store",
            ] + pins.flatMap { ["--pin", $0] }, logs: root)
    }

    /// social-protection's gateway delivering to `url`, and a request queued for employment with `request new --send`.
    static func queuedRequest(in root: String, deliveringTo url: String) async throws -> (GatewayFolder, String) {
        let sender = try await GatewayFolder.create(
            "social-protection", in: root, exchange: GatewayFolder.Exchange(peers: ["employment"], peerURLs: ["employment": url]))
        let request = root + "/request.xml"
        let queued = try await TestProcess.mezhved([
            "request", "new", "--gateway", sender.configuration, "--form",
            ServeFixture.path("Samples/forms/request-unemployment-status.yaml"), "--send", "-o", request,
        ])
        guard queued.status == 0, queued.stdout.contains("QUEUED") else {
            throw FixtureFailure("request new --send: \(queued.stdout) \(queued.stderr)")
        }
        return (sender, request)
    }

    /// The outbox's messages (`mezhved outbox list --json`), polled until `done` says so (at most 30 s).
    static func outbox(_ gateway: GatewayFolder, until done: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let listed = try await TestProcess.mezhved(["outbox", "list", "--gateway", gateway.configuration, "--json"])
            let messages = (try? JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]) ?? []
            if done(messages) || ContinuousClock.now > deadline { return messages }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    @Test(
        "mezhved serve's outbox delivers to the Python peer: it verifies the request, answers with its own receipt (valid for mezhved), and mezhved counts it receipted",
        .enabled(if: ServeFixture.interopPython != nil, Comment(rawValue: noPython)))
    func deliveryToThePythonPeer() async throws {
        let python = try #require(ServeFixture.interopPython)
        let root = try ServeFixture.temporaryFolder()
        let peerServer = try await Self.pythonPeer(python, in: root, pins: [ServeFixture.tlsCertificate("social-protection")])
        do {
            let (sender, request) = try await Self.queuedRequest(in: root, deliveringTo: peerServer.url)
            let messages = try await ServedProcess.run(sender) { _ in
                try await Self.outbox(sender) { $0.first?["state"] as? String == "receipted" }
            }
            let message = try #require(messages.first, "no message in the outbox")
            #expect(message["state"] as? String == "receipted", "\(message) \(peerServer.log())")
            let id = try #require(message["messageID"] as? String)
            // The peer got exactly the registered bytes, and its receipt is a valid mezhved receipt.
            let kept = root + "/peer-store/messages/m-" + id.replacingOccurrences(of: ":", with: "%3A")
            #expect(try ServeFixture.read(kept + "/body.xml") == ServeFixture.read(request))
            let valid = try await TestProcess.mezhved(["validate", kept + "/receipt.xml"])
            #expect(valid.status == 0 && valid.stdout.hasPrefix("VALID"), "\(valid.stdout) \(valid.stderr)")
            #expect(String(decoding: try ServeFixture.read(kept + "/outcome"), as: UTF8.self).hasPrefix("accepted ВХ-PY-"))
            // The peer's own duplicate elimination and pinning (curl as the client).
            let headers = Curl.messageHeaders(id: id, from: "social-protection", to: "employment")
            let again = try await Curl.push(
                peerServer.url, body: kept + "/body.xml", headers: headers, client: "social-protection", pin: "employment", in: root)
            #expect(again.status == 200 && again.header("Mezhved-Duplicate") == "true", "\(again.text.prefix(300))")
            #expect(again.body == (try ServeFixture.read(kept + "/receipt.xml")), "the same receipt, byte for byte")
            let other = root + "/request-longer.xml"
            try ServeFixture.write(try ServeFixture.read(request) + [0x0A], to: other)
            let reused = try await Curl.push(
                peerServer.url, body: other, headers: headers, client: "social-protection", pin: "employment", in: root)
            #expect(reused.status == 409 && reused.problemCode == "message-id-reused", "\(reused.text)")
            let stranger = try await Curl.push(
                peerServer.url, body: other, headers: headers, client: "stranger", pin: "employment", in: root)
            #expect(stranger.status == 0 && stranger.exitCode != 0, "the handshake fails: \(stranger.stderr)")
            // mezhved archived the peer's receipt: the journal has it as an incoming receipt.
            let journal = try await sender.recorded().journal
            #expect(journal.contains { $0.contains("\tincoming\t") && $0.contains("\treceipt\t") }, "\(journal)")
        } catch {
            await peerServer.stop(graceful: false)
            throw error
        }
        #expect(await peerServer.stop() == .exited(0), "\(peerServer.log())")
    }

    @Test(
        "a refusal from the Python peer that retrying cannot cure (403: it authenticates the client as another agency) fails the message, with the peer's problem kept",
        .enabled(if: ServeFixture.interopPython != nil, Comment(rawValue: noPython)))
    func refusalFromThePythonPeer() async throws {
        let python = try #require(ServeFixture.interopPython)
        let root = try ServeFixture.temporaryFolder()
        let peerServer = try await Self.pythonPeer(python, in: root, pins: ["health=" + ServeFixture.tlsCertificate("social-protection")])
        do {
            let (sender, _) = try await Self.queuedRequest(in: root, deliveringTo: peerServer.url)
            let messages = try await ServedProcess.run(sender) { _ in
                try await Self.outbox(sender) { $0.first?["state"] as? String == "failed" }
            }
            let message = try #require(messages.first, "no message in the outbox")
            #expect(message["state"] as? String == "failed", "\(message)")
            #expect((message["lastError"] as? String)?.contains("sender-not-peer") == true, "\(message)")
        } catch {
            await peerServer.stop(graceful: false)
            throw error
        }
        await peerServer.stop()
    }

    /// employment serving (with `identity`, by default its Certificates/tls one), social-protection
    /// delivering a queued request to it with `pin` pinned; the message once it is receipted or
    /// has an error.
    static func deliverBetweenGateways(identity: (certificate: String, key: String)? = nil, pin: String? = nil) async throws
        -> [String: Any]
    {
        let root = try ServeFixture.temporaryFolder()
        let receiver = try await GatewayFolder.create(
            "employment", in: root, exchange: GatewayFolder.Exchange(peers: ["social-protection"], identity: identity))
        return try await ServedProcess.run(receiver) { receiving in
            let sender = try await GatewayFolder.create(
                "social-protection", in: root,
                exchange: GatewayFolder.Exchange(
                    peers: ["employment"], peerURLs: ["employment": receiving.url], pinned: pin.map { ["employment": $0] } ?? [:]))
            let queued = try await TestProcess.mezhved([
                "request", "new", "--gateway", sender.configuration, "--form",
                ServeFixture.path("Samples/forms/request-unemployment-status.yaml"), "--send", "-o", root + "/request.xml",
            ])
            try #require(queued.status == 0, "\(queued.stderr)")
            let messages = try await ServedProcess.run(sender) { _ in
                try await Self.outbox(sender) { $0.first.map { $0["state"] as? String == "receipted" || $0["lastError"] != nil } ?? false }
            }
            return try #require(messages.first, "no message in the outbox")
        }
    }

    @Test("two mezhved gateways: the outbox delivers over mutual TLS with the pinned test identities, and the receipt is counted")
    func deliveryBetweenGateways() async throws {
        let message = try await Self.deliverBetweenGateways()
        #expect(message["state"] as? String == "receipted", "\(message)")
    }

    @Test(
        "a peer to connect to pinned by a CA-issued TLS certificate is refused by the configuration check, naming why (the pin is the client's only root)"
    )
    func caIssuedPinnedPeer() async throws {
        let root = try ServeFixture.temporaryFolder()
        func openssl(_ arguments: [String]) async throws {
            let result = try await TestProcess.run("openssl", arguments)
            try #require(result.status == 0, "openssl \(arguments.first ?? ""): \(result.stderr)")
        }
        try await openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-sha256", "-days", "2", "-subj",
            "/O=TEST/CN=TEST TLS CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            "-keyout", root + "/ca.key", "-out", root + "/ca.crt",
        ])
        try await openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-sha256", "-subj", "/O=TEST/CN=employment",
            "-keyout", root + "/employment.key", "-out", root + "/employment.csr",
        ])
        try ServeFixture.write(
            Array(
                "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n"
                    .utf8), to: root + "/leaf.ext")
        try await openssl([
            "x509", "-req", "-in", root + "/employment.csr", "-CA", root + "/ca.crt", "-CAkey", root + "/ca.key", "-CAcreateserial",
            "-days", "2", "-sha256", "-extfile", root + "/leaf.ext", "-out", root + "/employment.crt",
        ])
        let sender = try await GatewayFolder.create(
            "social-protection", in: root,
            exchange: GatewayFolder.Exchange(
                peers: ["employment"], peerURLs: ["employment": "https://127.0.0.1:9"], pinned: ["employment": root + "/employment.crt"]))
        let check = try await TestProcess.mezhved(["gateway", "check", "--gateway", sender.configuration])
        #expect(check.status == 11, "\(check.stdout) \(check.stderr)")
        #expect(check.stderr.contains("not self-signed"), "\(check.stderr)")
    }

    @Test("plain HTTP on loopback: the peer names itself in Mezhved-From; the push is registered and answered with the receipt")
    func plainLoopbackPush() async throws {
        let (root, _, receiver, request) = try await Self.twoGateways(tls: false)
        try await ServedProcess.run(receiver) { server in
            let digest = try await Curl.contentDigest(of: request)
            let answer = try await Curl.push(
                server.httpURL, body: request,
                headers: Curl.messageHeaders(id: "plain-1", from: "social-protection", to: "employment") + [("Content-Digest", digest)],
                client: nil, pin: nil, in: root)
            #expect(answer.status == 200, "\(answer.text) \(answer.stderr)")
            #expect(answer.header("Mezhved-Receipt") == "accepted")
            #expect(answer.text.contains("<Accepted incomingNumber=\"ВХ-"))
            // A peer that is not configured is refused, whatever it claims.
            let stranger = try await Curl.push(
                server.httpURL, body: request, headers: Curl.messageHeaders(id: "plain-2", from: "health", to: "employment"), client: nil,
                pin: nil, in: root)
            #expect(stranger.status == 403, "\(stranger.text)")
            #expect(stranger.problemCode == "peer-unknown")
        }
        let journal = try await receiver.recorded().journal
        #expect(journal.filter { $0.contains("\tincoming\t") }.count == 1, "\(journal)")
    }

    @Test("SIGTERM stops mezhved serve gracefully (exit 0); SIGKILL ends it at once")
    func serverStops() async throws {
        let root = try ServeFixture.temporaryFolder()
        let receiver = try await GatewayFolder.create(
            "employment", in: root, exchange: GatewayFolder.Exchange(peers: ["social-protection"]))
        let graceful = try await ServedProcess.serve(receiver)
        #expect(graceful.isRunning)
        #expect(await graceful.stop() == .exited(0), "\(graceful.log())")
        let killed = try await ServedProcess.serve(receiver)
        #expect(await killed.stop(graceful: false) == .signalled(SIGKILL))
    }
}
