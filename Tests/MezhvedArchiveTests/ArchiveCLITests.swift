import Foundation
import MezhvedTestSupport
import MezhvedXMLDSig
import Testing

@testable import MezhvedArchive

@Suite("mezhved archive command line")
struct ArchiveCLITests {
    static let trust = ArchiveFixtures.gostTrust

    /// A new archive made with `archive init`, and the environment that points the commands at it.
    static func initArchive() throws -> (folder: String, environment: [String: String]) {
        let root = try ArchiveFixtures.temporaryDirectory()
        let folder = root + "/archive"
        let keyPath = root + "/data.key"
        let result = try ArchiveTool.mezhved([
            "archive", "init", "--archive", folder, "--agency", "social-protection", "--outgoing-format", "01-12/{seq:06}",
            "--incoming-format", "ЗКСЗН-{year}-{seq:06}", "--data-key", keyPath, "--new-data-key", "--gateway-cert",
            ArchiveFixtures.gatewayCert, "--gateway-chain", ArchiveFixtures.chain, "--gateway-key", ArchiveFixtures.gatewayKey,
            "--checkpoint-interval", "3",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        var info = stat()
        #expect(stat(keyPath, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(stat(folder, &info) == 0 && info.st_mode & 0o777 == 0o700)
        return (folder, ["MEZHVED_ARCHIVE": folder, "MEZHVED_ARCHIVE_DATA_KEY_FILE": keyPath])
    }

    @Test("register, list, show, status, overdue, export and audit a real exchange")
    func lifeCycle() async throws {
        let (folder, environment) = try Self.initArchive()
        // The exchange of the samples, the request printed with the archive's first outgoing number.
        let files = try ArchiveFixtures.temporaryDirectory()
        let request = files + "/request.xml"
        let answer = files + "/answer.xml"
        Tamper.write(try ArchiveFixtures.signedRequest(number: "01-12/000001"), request)
        Tamper.write(
            try ArchiveFixtures.resigned(
                "answer-unemployment-status.signed.xml", agency: "employment", replacing: [("02-11/4817", "01-12/000001")]), answer)
        let misnumbered = try ArchiveTool.mezhved(
            ["archive", "register", "--outgoing", ArchiveFixtures.path("Samples/request-unemployment-status.signed.xml")],
            environment: environment)
        #expect(misnumbered.status == 8)
        #expect(misnumbered.stderr.contains("carries the number 02-11/4817, but the next outgoing number is 01-12/000001"))
        let out = try ArchiveTool.mezhved(["archive", "register", "--outgoing", request], environment: environment)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("REGISTERED 01-12/000001 "))
        // An incoming document is verified first: an untrusted root refuses it.
        let refused = try ArchiveTool.mezhved(
            ["archive", "register", "--incoming", answer, "--trust", ArchiveFixtures.path("Certificates/trust/rsa")],
            environment: environment)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("INDETERMINATE"))
        let overdue = try ArchiveTool.mezhved(["archive", "overdue", "--on", "2026-03-18"], environment: environment)
        #expect(overdue.stdout.contains("01-12/000001"))
        let incoming = try ArchiveTool.mezhved(
            ["archive", "register", "--incoming", answer, "--trust", Self.trust], environment: environment)
        #expect(incoming.status == 0, "\(incoming.stderr)")
        #expect(incoming.stdout.contains("ЗКСЗН-"))
        // The answer ("на № 01-12/000001") marks the request answered: no longer overdue.
        let after = try ArchiveTool.mezhved(["archive", "overdue", "--on", "2026-03-18"], environment: environment)
        #expect(after.stdout.isEmpty)
        let list = try ArchiveTool.mezhved(["archive", "list", "--status", "answered", "--json"], environment: environment)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["number"] as? String == "01-12/000001")
        #expect(rows.first?["counterpart"] as? String == "employment")
        let show = try ArchiveTool.mezhved(["archive", "show", "01-12/000001"], environment: environment)
        #expect(show.stdout.contains("registered"))
        #expect(show.stdout.contains("answered by:"))
        // The journal and the log hold no personal data.
        let log = String(decoding: Tamper.read(folder + "/log/events.log"), as: UTF8.self)
        #expect(!log.contains("Васильев"))
        let exportDir = try ArchiveFixtures.temporaryDirectory() + "/export"
        let export = try ArchiveTool.mezhved(
            ["archive", "export", "01-12/000001", "--output-dir", exportDir, "--trust", Self.trust], environment: environment)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(Tamper.read(exportDir + "/01-12_000001.xml") == Tamper.read(request))
        #expect(String(decoding: Tamper.read(exportDir + "/01-12_000001.verification.json"), as: UTF8.self).contains("\"valid\""))
        let audit = try ArchiveTool.mezhved(["archive", "audit", "--trust", Self.trust, "--json"], environment: environment)
        #expect(audit.status == 0, "\(audit.stdout)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])
        #expect(report["passed"] as? Bool == true)
        #expect(audit.stderr.isEmpty)  // no progress bar when not on a terminal
    }

    @Test("audit --qualified re-validates each signature as a qualified one, the registration time as proof of existence")
    func qualifiedAudit() throws {
        let (_, environment) = try Self.initArchive()
        let files = try ArchiveFixtures.temporaryDirectory()
        for (index, number) in ["01-12/000001", "01-12/000002"].enumerated() {
            Tamper.write(try ArchiveFixtures.signedRequest(number: number), files + "/r\(index).xml")
            let out = try ArchiveTool.mezhved(["archive", "register", "--outgoing", files + "/r\(index).xml"], environment: environment)
            #expect(out.status == 0, "\(out.stderr)")
        }
        let crl = ArchiveFixtures.path("Certificates/gost/ca.crl.pem")
        let audit = try ArchiveTool.mezhved(
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
        let usage = try ArchiveTool.mezhved(["archive", "audit", "--trust", Self.trust, "--offline"], environment: environment)
        #expect(usage.status == 64)
    }

    @Test("a broken archive exits 7 naming the item; a torn tail exits 8 pointing to recover")
    func exitCodes() async throws {
        let (folder, environment) = try Self.initArchive()
        let request = try ArchiveFixtures.temporaryDirectory() + "/request.xml"
        Tamper.write(try ArchiveFixtures.signedRequest(number: "01-12/000001"), request)
        #expect(try ArchiveTool.mezhved(["archive", "register", "--outgoing", request], environment: environment).status == 0)
        let journal = try await FileSystemStorage.open(at: folder).journal()
        let object = try #require(journal.entries.first?.object)
        Tamper.flip(folder + "/objects/\(object.prefix(2))/\(object)", at: -10)
        let audit = try ArchiveTool.mezhved(["archive", "audit", "--trust", Self.trust], environment: environment)
        #expect(audit.status == 7)
        #expect(audit.stdout.contains("AUDIT FAILED"))
        #expect(audit.stdout.contains("object-altered: objects/\(object.prefix(2))/\(object)"))
        Tamper.write(Tamper.read(folder + "/log/events.log") + Array("{\"seq\":".utf8), folder + "/log/events.log")
        let refused = try ArchiveTool.mezhved(["archive", "reserve"], environment: environment)
        #expect(refused.status == 8)
        #expect(refused.stderr.contains("mezhved archive recover"))
        let recover = try ArchiveTool.mezhved(["archive", "recover"], environment: environment)
        #expect(recover.status == 0)
        #expect(recover.stdout.contains("removed a torn log tail of 7 bytes"))
        #expect(try ArchiveTool.mezhved(["archive", "reserve"], environment: environment).status == 0)
        let codes = try ArchiveTool.mezhved(["exit-codes"])
        #expect(codes.stdout.contains("7   archive integrity broken"))
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
