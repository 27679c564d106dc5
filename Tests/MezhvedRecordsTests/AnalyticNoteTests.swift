import Foundation
import MezhvedTestSupport
import Testing

/// The yearly analytic note of the synthetic year's hub, made by the real binary at a private copy
/// of social protection's gateway (with two configured peers), and checked by other tools.
@Suite("The yearly analytic note over a synthetic year")
struct AnalyticNoteTests {
    static let certificates = TestProcess.path("Certificates")
    static let offlineGOST = [
        "--offline", "--trust", TestProcess.path("Certificates/trust/gost"), "--crl", TestProcess.path("Certificates/gost/ca.crl.pem"),
    ]

    /// The Python with the interop packages: `MEZHVED_PYTHON`, the clone's or the main checkout's virtualenv, else python3.
    static var python: String {
        if let configured = ProcessInfo.processInfo.environment["MEZHVED_PYTHON"] { return configured }
        for venv in [TestProcess.path(".venv-interop/bin/python"), "/work/main/.venv-interop/bin/python"]
        where FileManager.default.isExecutableFile(atPath: venv) {
            return venv
        }
        return "python3"
    }

    /// A private copy of social protection's gateway with health and education as peers (not
    /// reachable: nothing is delivered here), its configuration's path.
    static func hub(_ name: String) async throws -> String {
        let folder = try await SharedYear.copy(of: "social-protection", as: name)
        var text = try String(contentsOfFile: "\(folder)/gateway.yaml", encoding: .utf8)
        text += "exchange:\n  listen: 127.0.0.1:0\n  spool: spool\n"
        text +=
            "  tls: {certificate: \(certificates)/tls/social-protection.crt, key: \(certificates)/tls/social-protection.key}\n  peers:\n"
        for peer in ["health", "education"] {
            text +=
                "    - {agency: \(peer), gatewayCertificate: \(certificates)/agencies/\(peer)/cert.pem, tlsCertificate: \(certificates)/tls/\(peer).crt, url: \"https://127.0.0.1:9\"}\n"
        }
        let configuration = "\(folder)/note.yaml"
        try text.write(toFile: configuration, atomically: true, encoding: .utf8)
        return configuration
    }

    static func attributes(_ element: String, in xml: String) -> [[String: String]] {
        let pattern = try! NSRegularExpression(pattern: "<\(element) ([^>]*?)/?>")
        let attribute = try! NSRegularExpression(pattern: #"(\w+)="([^"]*)""#)
        return pattern.matches(in: xml, range: NSRange(xml.startIndex..., in: xml)).map { match in
            let text = String(xml[Range(match.range(at: 1), in: xml)!])
            var values: [String: String] = [:]
            for pair in attribute.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                values[String(text[Range(pair.range(at: 1), in: text)!])] = String(text[Range(pair.range(at: 2), in: text)!])
            }
            return values
        }
    }

    static func sha256(_ path: String) async throws -> String {
        let result = try await TestProcess.run("sha256sum", [path])
        return String(result.stdout.prefix(64))
    }

    @Test(
        "the note of 2025 validates with xmllint, verifies as qualified, carries the yearly report's figures and its SHA-256, and the separate GOST implementation verifies it; a changed figure fails both"
    )
    func noteOfTheYear() async throws {
        let configuration = try await Self.hub("note-hub")
        let folder = (configuration as NSString).deletingLastPathComponent
        let report = try await TestProcess.mezhved([
            "report", "yearly", "--year", "2025", "--as-of", "2025-12-31", "--gateway", configuration, "-o", "\(folder)/yearly.json",
        ])
        try #require(report.status == 0, "\(report.stderr)")
        let made = try await TestProcess.mezhved([
            "report", "note", "--year", "2025", "--as-of", "2025-12-31", "--gateway", configuration, "-o", "\(folder)/note.xml",
            "--report", "\(folder)/note-report.json",
        ])
        try #require(made.status == 0, "\(made.stdout) \(made.stderr)")
        #expect(made.stdout.contains("note to health") && made.stdout.contains("note to education"), "\(made.stdout)")
        #expect(made.stdout.contains("NOT SENT to 12 addressees without a configured peer: youth-policy"), "\(made.stdout)")
        #expect(made.stdout.contains("employment"), "\(made.stdout)")
        let note = "\(folder)/note-health.xml"
        let xml = try String(contentsOfFile: note, encoding: .utf8)

        // The schema, by libxml2's command-line tool.
        let lint = try await TestProcess.run(
            "xmllint", ["--noout", "--schema", TestProcess.path("docs/schemas/mezhved-note-1.0.xsd"), note])
        #expect(lint.status == 0, "\(lint.stderr)")

        // Qualified validation: TOTAL-PASSED, the letterhead the signer's.
        let verified = try await TestProcess.mezhved(["verify", "--report", "text", note] + Self.offlineGOST)
        #expect(verified.status == 0 && verified.stdout.contains("TOTAL-PASSED"), "\(verified.stdout) \(verified.stderr)")

        // The evidence: the SHA-256 of the JSON report (the same bytes as `report yearly` gave before).
        let digest = try await Self.sha256("\(folder)/yearly.json")
        await #expect(try Self.sha256("\(folder)/note-report.json") == digest)
        let evidence = try #require(Self.attributes("Evidence", in: xml).first)
        #expect(evidence["reportSHA256"] == digest)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/yearly.json"))) as? [String: Any])
        let journal = try #require(json["journal"] as? [String: Any])
        #expect(evidence["journalLastSeq"] == "\(journal["lastSeq"] as? Int ?? -1)")
        #expect(evidence["journalLastHash"] == journal["lastHash"] as? String)

        // The figures: each criterion and each counterpart's line equal the JSON report's.
        let criteria = try #require(json["criteria"] as? [[String: Any]])
        let written = Self.attributes("Criterion", in: xml)
        #expect(written.count == criteria.count && criteria.count == 3)
        for (criterion, line) in zip(criteria, written) {
            #expect(line["number"] == "\(criterion["criterion"] as? Int ?? -1)")
            #expect(line["value"] == "\(criterion["value"] as? Int ?? -1)", "criterion \(criterion)")
        }
        let counterparts = try #require(json["counterparts"] as? [[String: Any]])
        let lines = Self.attributes("Agency", in: xml)
        #expect(lines.count == counterparts.count && !lines.isEmpty)
        for (counterpart, line) in zip(counterparts, lines) {
            let figures = try #require(counterpart["figures"] as? [String: Any])
            #expect(line["agency"] == counterpart["agency"] as? String)
            for key in ["documentsReceived", "jointEvents", "peopleHelped"] {
                #expect(line[key] == "\(figures[key] as? Int ?? -1)", "\(line["agency"] ?? "?") \(key)")
            }
        }
        #expect(criteria.contains { ($0["value"] as? Int ?? 0) > 0 }, "the synthetic year gives figures")

        // Issue 18: the overdue list names each agency by its short name, beside its id.
        let overdue = try #require(json["overdue"] as? [[String: Any]])
        let names = Dictionary(uniqueKeysWithValues: counterparts.map { ($0["agency"] as? String ?? "", $0["name"] as? String ?? "") })
        #expect(!overdue.isEmpty)
        for item in overdue {
            let id = try #require(item["counterpart"] as? String)
            #expect(item["counterpartName"] as? String == names[id] && names[id] != id, "\(item)")
        }

        // The separate GOST implementation (no OpenSSL) verifies the signature.
        let script = TestProcess.path("Tests/Interop/gost_xmldsig.py")
        let signer = "\(Self.certificates)/agencies/social-protection/cert.pem"
        let python = try await TestProcess.run(Self.python, [script, "verify", note, "--cert", signer])
        #expect(python.status == 0 && python.stdout.contains("OK"), "\(python.stdout) \(python.stderr)")

        // The printed form: the letterhead, the heading, the criteria and the mailing list.
        let rendered = try await TestProcess.mezhved(["render", note, "-o", "\(folder)/note.html"] + Self.offlineGOST.dropFirst())
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let page = try String(contentsOfFile: "\(folder)/note.html", encoding: .utf8)
        #expect(page.contains("Аналитическая справка о результатах межведомственного взаимодействия за 2025 год"))
        #expect(page.contains("<td class=\"n\">\(criteria[0]["value"] as? Int ?? -1)</td>") && page.contains("Список рассылки"))
        #expect(page.contains("подпись действительна"), "the signature mark")

        // The rules beyond the schema: an addressee left out of the list is named.
        let employment = try NSRegularExpression(
            pattern: #"\s*<Addressee agency="employment">.*?</Addressee>"#, options: .dotMatchesLineSeparators)
        let unsigned = xml.replacingOccurrences(of: #"<ds:Signature[\s\S]*</ds:Signature>\s*"#, with: "", options: .regularExpression)
        let shortList = employment.stringByReplacingMatches(
            in: unsigned, range: NSRange(unsigned.startIndex..., in: unsigned), withTemplate: "")
        #expect(shortList != unsigned)
        try shortList.write(toFile: "\(folder)/short-list.xml", atomically: true, encoding: .utf8)
        let invalid = try await TestProcess.mezhved(["validate", "\(folder)/short-list.xml"])
        #expect(invalid.status == 6, "\(invalid.stdout) \(invalid.stderr)")
        #expect((invalid.stdout + invalid.stderr).contains("missing: employment"), "\(invalid.stdout) \(invalid.stderr)")
        let valid = try await TestProcess.mezhved(["validate", note])
        #expect(valid.status == 0, "\(valid.stdout) \(valid.stderr)")

        // One figure changed by one: both verifiers refuse it.
        let value = try #require(written.first?["value"])
        let tampered = xml.replacingOccurrences(of: "value=\"\(value)\"", with: "value=\"\((Int(value) ?? 0) + 1)\"")
        #expect(tampered != xml)
        try tampered.write(toFile: "\(folder)/tampered.xml", atomically: true, encoding: .utf8)
        let refused = try await TestProcess.mezhved(["verify", "--report", "text", "\(folder)/tampered.xml"] + Self.offlineGOST)
        #expect(refused.status == 1 && refused.stdout.contains("TOTAL-FAILED"), "\(refused.stdout) \(refused.stderr)")
        let pythonRefused = try await TestProcess.run(Self.python, [script, "verify", "\(folder)/tampered.xml", "--cert", signer])
        #expect(pythonRefused.status != 0, "\(pythonRefused.stdout)")
    }

    @Test("a note of a year not begun or without any document or record is refused with exit 3 and a clear message; nothing is numbered")
    func wrongYear() async throws {
        let configuration = try await Self.hub("note-wrong-year")
        let before = try await TestProcess.mezhved(["gateway", "check", "--gateway", configuration])
        let future = try await TestProcess.mezhved([
            "report", "note", "--year", "2027", "--as-of", "2025-12-31", "--gateway", configuration, "--send",
        ])
        #expect(future.status == 3, "\(future.stdout) \(future.stderr)")
        #expect(future.stderr.contains("the year 2027 has not begun on 2025-12-31"), "\(future.stderr)")
        let empty = try await TestProcess.mezhved([
            "report", "note", "--year", "2024", "--as-of", "2025-12-31", "--gateway", configuration, "--send",
        ])
        #expect(empty.status == 3, "\(empty.stdout) \(empty.stderr)")
        #expect(empty.stderr.contains("holds no document and no record of 2024"), "\(empty.stderr)")
        let after = try await TestProcess.mezhved(["gateway", "check", "--gateway", configuration])
        #expect(before.stdout == after.stdout, "the journal did not change")
    }
}
