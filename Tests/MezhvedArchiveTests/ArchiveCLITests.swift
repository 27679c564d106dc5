import Foundation
import MezhvedTestSupport
import MezhvedXMLDSig
import Testing

@testable import MezhvedArchive

@Suite("mezhved archive command line")
struct ArchiveCLITests {
    static let trust = ArchiveFixtures.gostTrust

    /// A new archive made with `archive init`, and the environment that points the commands at it.
    static func initArchive() async throws -> (folder: String, environment: [String: String]) {
        let root = try ArchiveFixtures.temporaryDirectory()
        let folder = root + "/archive"
        let keyPath = root + "/data.key"
        let result = try await ArchiveTool.mezhved([
            "archive", "init", "--archive", folder, "--agency", "social-protection", "--outgoing-format", "01-12/{seq:06}",
            "--incoming-format", "ЗКСЗН-{year}-{seq:06}", "--data-key", keyPath, "--new-data-key", "--gateway-cert",
            ArchiveFixtures.gatewayCert, "--gateway-chain", ArchiveFixtures.chain, "--gateway-key", ArchiveFixtures.gatewayKey,
            "--checkpoint-interval", "3",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        var info = stat()
        #expect(stat(keyPath, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(stat(folder, &info) == 0 && info.st_mode & 0o777 == 0o700)
        return (
            folder,
            ["MEZHVED_ARCHIVE": folder, "MEZHVED_ARCHIVE_DATA_KEY_FILE": keyPath, "MEZHVED_GATEWAY_CERT_FILE": ArchiveFixtures.gatewayCert]
        )
    }

    /// A gateway configuration for the archive at `folder` (social protection), trusting `trust`.
    static func gatewayConfiguration(folder: String, environment: [String: String], trust: String) throws -> String {
        let root = ArchiveFixtures.root.path
        let path = try ArchiveFixtures.temporaryDirectory() + "/gateway.yaml"
        let text = """
            agency: social-protection
            archive: {path: \(folder), dataKey: \(environment["MEZHVED_ARCHIVE_DATA_KEY_FILE"]!)}
            signatories:
              - {id: head, key: \(ArchiveFixtures.gatewayKey), certificate: \(ArchiveFixtures.gatewayCert), chain: \(ArchiveFixtures.chain)}
            trust: {anchors: [\(root)/\(trust)], intermediates: [\(ArchiveFixtures.chain)], crls: [\(root)/Certificates/gost/ca.crl.pem]}
            policy: {offline: true}
            """
        Tamper.write(Array(text.utf8), path)
        return path
    }

    @Test("register, list, show, status, overdue, export and audit a real exchange")
    func lifeCycle() async throws {
        let (folder, environment) = try await Self.initArchive()
        // The exchange of the samples, the request printed with the archive's first outgoing number.
        let files = try ArchiveFixtures.temporaryDirectory()
        let request = files + "/request.xml"
        let answer = files + "/answer.xml"
        Tamper.write(try ArchiveFixtures.signedRequest(number: "01-12/000001"), request)
        Tamper.write(
            try ArchiveFixtures.resigned(
                "answer-unemployment-status.signed.xml", agency: "employment", replacing: [("02-11/4817", "01-12/000001")]), answer)
        let misnumbered = try await ArchiveTool.mezhved(
            ["archive", "register", "--outgoing", ArchiveFixtures.path("Samples/request-unemployment-status.signed.xml")],
            environment: environment)
        #expect(misnumbered.status == 8)
        #expect(misnumbered.stderr.contains("carries the number 02-11/4817, but the next outgoing number is 01-12/000001"))
        let out = try await ArchiveTool.mezhved(["archive", "register", "--outgoing", request], environment: environment)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("REGISTERED 01-12/000001 "))
        // An incoming document goes through the gateway's incoming workflow: with an untrusted root it is
        // quarantined with its reason (exit 12), and `--trust` alone is not enough.
        let untrustedGateway = try Self.gatewayConfiguration(folder: folder, environment: environment, trust: "Certificates/trust/rsa")
        let withoutGateway = try await ArchiveTool.mezhved(
            ["archive", "register", "--incoming", answer, "--trust", Self.trust], environment: environment)
        #expect(withoutGateway.status == 64)
        #expect(withoutGateway.stderr.contains("give --gateway CONFIG"))
        let refused = try await ArchiveTool.mezhved(
            ["archive", "register", "--incoming", answer, "--gateway", untrustedGateway], environment: environment)
        #expect(refused.status == 12, "\(refused.stderr)")
        #expect(refused.stdout.contains("QUARANTINED"))
        #expect(refused.stdout.contains("signature-not-valid"))
        let overdue = try await ArchiveTool.mezhved(["archive", "overdue", "--on", "2026-03-18"], environment: environment)
        #expect(overdue.stdout.contains("01-12/000001"))
        let gateway = try Self.gatewayConfiguration(folder: folder, environment: environment, trust: "Certificates/trust/gost")
        let incoming = try await ArchiveTool.mezhved(
            ["archive", "register", "--incoming", answer, "--gateway", gateway], environment: environment)
        #expect(incoming.status == 0, "\(incoming.stderr)")
        #expect(incoming.stdout.contains("ЗКСЗН-"))
        // The answer ("на № 01-12/000001") marks the request answered: no longer overdue.
        let after = try await ArchiveTool.mezhved(["archive", "overdue", "--on", "2026-03-18"], environment: environment)
        #expect(after.stdout.isEmpty)
        let list = try await ArchiveTool.mezhved(["archive", "list", "--status", "answered", "--json"], environment: environment)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["number"] as? String == "01-12/000001")
        #expect(rows.first?["counterpart"] as? String == "employment")
        let show = try await ArchiveTool.mezhved(["archive", "show", "01-12/000001"], environment: environment)
        #expect(show.stdout.contains("registered"))
        #expect(show.stdout.contains("answered by:"))
        // The journal and the log hold no personal data.
        let log = String(decoding: Tamper.read(folder + "/log/events.log"), as: UTF8.self)
        #expect(!log.contains("Васильев"))
        let exportDir = try ArchiveFixtures.temporaryDirectory() + "/export"
        let export = try await ArchiveTool.mezhved(
            ["archive", "export", "01-12/000001", "--output-dir", exportDir, "--trust", Self.trust], environment: environment)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(Tamper.read(exportDir + "/01-12_000001.xml") == Tamper.read(request))
        #expect(String(decoding: Tamper.read(exportDir + "/01-12_000001.verification.json"), as: UTF8.self).contains("\"valid\""))
        let audit = try await ArchiveTool.mezhved(["archive", "audit", "--trust", Self.trust, "--json"], environment: environment)
        #expect(audit.status == 0, "\(audit.stdout)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])
        #expect(report["passed"] as? Bool == true)
        #expect(audit.stderr.isEmpty)  // no progress bar when not on a terminal
    }

    @Test("audit --qualified re-validates each signature as a qualified one, the registration time as proof of existence")
    func qualifiedAudit() async throws {
        let (_, environment) = try await Self.initArchive()
        let files = try ArchiveFixtures.temporaryDirectory()
        for (index, number) in ["01-12/000001", "01-12/000002"].enumerated() {
            Tamper.write(try ArchiveFixtures.signedRequest(number: number), files + "/r\(index).xml")
            let out = try await ArchiveTool.mezhved(
                ["archive", "register", "--outgoing", files + "/r\(index).xml"], environment: environment)
            #expect(out.status == 0, "\(out.stderr)")
        }
        let crl = ArchiveFixtures.path("Certificates/gost/ca.crl.pem")
        let audit = try await ArchiveTool.mezhved(
            ["archive", "audit", "--trust", Self.trust, "--qualified", "--offline", "--crl", crl, "--json"], environment: environment)
        #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])
        let documents = try #require(report["documents"] as? [[String: Any]])
        #expect(documents.count == 2)
        for document in documents {
            let signature = document["signature"] as? [String: Any]
            #expect(signature?["level"] as? String == "full")
            #expect(signature?["status"] as? String == "valid")
        }
        let usage = try await ArchiveTool.mezhved(["archive", "audit", "--trust", Self.trust, "--offline"], environment: environment)
        #expect(usage.status == 64)
    }

    @Test("a broken archive exits 7 naming the item; a torn tail exits 8 pointing to recover")
    func exitCodes() async throws {
        let (folder, environment) = try await Self.initArchive()
        let request = try ArchiveFixtures.temporaryDirectory() + "/request.xml"
        Tamper.write(try ArchiveFixtures.signedRequest(number: "01-12/000001"), request)
        await #expect(try ArchiveTool.mezhved(["archive", "register", "--outgoing", request], environment: environment).status == 0)
        let journal = try await FileSystemStorage.open(at: folder).journal()
        let object = try #require(journal.entries.first?.object)
        Tamper.flip(folder + "/objects/\(object.prefix(2))/\(object)", at: -10)
        let audit = try await ArchiveTool.mezhved(["archive", "audit", "--trust", Self.trust], environment: environment)
        #expect(audit.status == 7)
        #expect(audit.stdout.contains("AUDIT FAILED"))
        #expect(audit.stdout.contains("object-altered: objects/\(object.prefix(2))/\(object)"))
        Tamper.write(Tamper.read(folder + "/log/events.log") + Array("{\"seq\":".utf8), folder + "/log/events.log")
        let refused = try await ArchiveTool.mezhved(["archive", "reserve"], environment: environment)
        #expect(refused.status == 8)
        #expect(refused.stderr.contains("mezhved archive recover"))
        let recover = try await ArchiveTool.mezhved(["archive", "recover"], environment: environment)
        #expect(recover.status == 0)
        #expect(recover.stdout.contains("removed a torn log tail of 7 bytes"))
        await #expect(try ArchiveTool.mezhved(["archive", "reserve"], environment: environment).status == 0)
        let codes = try await ArchiveTool.mezhved(["exit-codes"])
        #expect(codes.stdout.contains("7   archive integrity broken"))
        #expect(codes.stdout.contains("13  archive audit: integrity holds, but policy findings"))
    }

    @Test("the audit needs the pinned gateway certificate; policy findings alone exit 13; no checkpoint is said plainly")
    func auditPolicyAndPinning() async throws {
        let (folder, environment) = try await Self.initArchive()
        var unpinned = environment
        unpinned["MEZHVED_GATEWAY_CERT_FILE"] = nil
        let refused = try await ArchiveTool.mezhved(["archive", "audit", "--trust", Self.trust], environment: unpinned)
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--gateway-cert"))
        // Nothing signed yet (interval 3, two entries): passed, but truncation cannot be proven.
        let request = try ArchiveFixtures.temporaryDirectory() + "/request.xml"
        Tamper.write(try ArchiveFixtures.signedRequest(number: "01-12/000001"), request)
        await #expect(try ArchiveTool.mezhved(["archive", "register", "--outgoing", request], environment: environment).status == 0)
        let early = try await ArchiveTool.mezhved(["archive", "audit", "--trust", Self.trust], environment: environment)
        #expect(early.status == 0, "\(early.stdout)")
        #expect(early.stdout.contains("AUDIT PASSED"))
        #expect(early.stdout.contains("cannot be proven"))
        // A file others may read is a policy finding: exit 13, integrity intact.
        chmod(folder + "/archive.json", 0o644)
        let policy = try await ArchiveTool.mezhved(["archive", "audit", "--trust", Self.trust], environment: environment)
        #expect(policy.status == 13, "\(policy.stdout)")
        #expect(policy.stdout.contains("AUDIT PASSED WITH POLICY FINDINGS"))
        #expect(policy.stdout.contains("policy: permissions: archive.json: mode 644 is wider than 600"))
        // A stray file is an integrity finding: exit 7.
        Tamper.write(Array("x".utf8), folder + "/log/notes.txt")
        let stray = try await ArchiveTool.mezhved(["archive", "audit", "--trust", Self.trust], environment: environment)
        #expect(stray.status == 7)
        #expect(stray.stdout.contains("stray-file: log/notes.txt"))
    }

    @Test("registering a document twice is refused and leaves no unregistered object behind")
    func duplicate() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 100)
        let document = try ArchiveFixtures.signedRequests(1)[0]
        _ = try await archive.register(Submission(direction: .outgoing, document: document, sourceName: "a.xml", signatureStatus: .valid))
        await #expect {
            _ = try await archive.register(
                Submission(direction: .outgoing, document: document, sourceName: "b.xml", signatureStatus: .valid))
        } throws: { error in
            (error as? ArchiveError)?.code == .documentRefused
                && "\(error)".contains("b.xml: the document is already registered as 01-12/000001")
        }
        let report = try await ArchiveFixtures.auditor(archive).audit()
        #expect(report.passed, "\(report.findings)")
        #expect(report.objects == 1)
    }
}
