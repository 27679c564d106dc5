import Foundation
import MezhvedTestSupport
import Testing

@Suite("mezhved record")
struct RecordCLITests {
    /// HMAC-SHA-256 of the SNILS's digits with the key file's hex, by openssl.
    func opensslHMAC(_ digits: String, keyFile: String) async throws -> String {
        let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try await TestProcess.run(
            "openssl", ["dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:\(key)"], stdin: Array(digits.utf8))
        return "hmac-sha256:" + (result.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "")
    }

    func lastEvent(_ log: String, type: String) throws -> [String: Any]? {
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        for line in lines.reversed() {
            let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            if event["type"] as? String == type { return event }
        }
        return nil
    }

    @Test("a joint event and a help record from the sample forms: recorded once, printed without personal data, the hash openssl's HMAC")
    func recordsTheSampleForms() async throws {
        let folder = try await SharedYear.folder.value
        let copy = try await SharedYear.copy(of: "social-protection", as: "record-copy")
        let gateway = "\(copy)/gateway.yaml"
        let log = "\(copy)/archive/log/events.log"
        let event = try await TestProcess.mezhved([
            "record", "event", TestProcess.path("Samples/records/joint-event.yaml"), "--gateway", gateway,
        ])
        #expect(event.status == 0, "\(event.stderr)")
        #expect(event.stdout.hasPrefix("RECORDED log entry "), "\(event.stdout)")
        #expect(event.stdout.contains("joint-visit on 2026-04-22, agencies health, ppms-center, social-protection, 2 people"))
        let again = try await TestProcess.mezhved([
            "record", "event", TestProcess.path("Samples/records/joint-event.yaml"), "--gateway", gateway,
        ])
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("ALREADY RECORDED log entry "), "\(again.stdout)")
        let help = try await TestProcess.mezhved([
            "record", "help", TestProcess.path("Samples/records/help-provided.yaml"), "--gateway", gateway,
        ])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(help.stdout.contains("medical help by health on 2026-04-24"), "\(help.stdout)")
        for output in [event.stdout, again.stdout, help.stdout] {
            #expect(!output.contains("189-670-541") && !output.contains("18967054129") && !output.contains("190-781-652"))
        }
        let recorded = try #require(try lastEvent(log, type: "helpProvided"))
        let payload = recorded["payload"] as! [String: Any]
        await #expect(payload["people"] as? [String] == [try opensslHMAC("18967054129", keyFile: "\(folder)/person.key")])
        #expect(payload["agencies"] as? [String] == ["health"])
        let joint = try #require(try lastEvent(log, type: "jointEvent"))
        let people = (joint["payload"] as! [String: Any])["people"] as! [String]
        await #expect(
            Set(people) == [
                try opensslHMAC("18967054129", keyFile: "\(folder)/person.key"),
                try opensslHMAC("19078165296", keyFile: "\(folder)/person.key"),
            ])
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!text.contains("18967054129") && !text.contains("189-670-541"))
    }

    @Test("a form with a wrong SNILS, a name, an unknown agency and a future day lists every problem (exit 6), never the SNILS")
    func refusesABadForm() async throws {
        let folder = try await SharedYear.folder.value
        let form = "\(folder)/bad-event.yaml"
        try """
        kind: joint-visitt
        date: 2099-01-01
        agencies: [social-protection, helth]
        people:
          - {snils: "189-670-541 28"}
          - {snils: "190-781-652 96", lastName: Николаева}
        """.write(toFile: form, atomically: true, encoding: .utf8)
        let result = try await TestProcess.mezhved(["record", "event", form, "--gateway", "\(folder)/social-protection/gateway.yaml"])
        #expect(result.status == 6, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("kind: joint-visitt is not one of") && result.stderr.contains("did you mean joint-visit?"))
        #expect(result.stderr.contains("people[0].snils:"))
        #expect(result.stderr.contains("people[1].lastName: is not recorded"))
        #expect(!result.stderr.contains("189-670-541") && !result.stderr.contains("Николаева"))
        let valid = "\(folder)/future-event.yaml"
        try "kind: joint-visit\ndate: 2099-01-01\nagencies: [social-protection, helth]\npeople: [{snils: \"190-781-652 96\"}]\n"
            .write(toFile: valid, atomically: true, encoding: .utf8)
        let later = try await TestProcess.mezhved(["record", "event", valid, "--gateway", "\(folder)/social-protection/gateway.yaml"])
        #expect(later.status == 6, "\(later.stderr)")
        #expect(later.stderr.contains("helth is not in the agency directory — did you mean health?"), "\(later.stderr)")
        #expect(later.stderr.contains("date: 2099-01-01 is after today"))
    }

    @Test("without archive.personKey nothing is recorded: exit 11 with what to do")
    func needsThePersonKey() async throws {
        let folder = try await SharedYear.folder.value
        let original = try String(contentsOfFile: "\(folder)/employment/gateway.yaml", encoding: .utf8)
        let without = original.replacingOccurrences(of: "  personKey: ../person.key\n", with: "")
        try without.write(toFile: "\(folder)/employment/no-person-key.yaml", atomically: true, encoding: .utf8)
        let result = try await TestProcess.mezhved([
            "record", "help", TestProcess.path("Samples/records/help-provided.yaml"), "--gateway",
            "\(folder)/employment/no-person-key.yaml",
        ])
        #expect(result.status == 11, "\(result.stderr)")
        #expect(result.stderr.contains("archive.personKey"))
    }

    @Test("the facts are under the journal's hash chain: the audit passes, and fails (exit 7) once a recorded person is altered")
    func auditCoversTheFacts() async throws {
        let copy = try await SharedYear.copy(of: "employment", as: "audit-copy")
        let gateway = "\(copy)/gateway.yaml"
        let help = try await TestProcess.mezhved([
            "record", "help", TestProcess.path("Samples/records/help-provided.yaml"), "--gateway", gateway,
        ])
        #expect(help.status == 0, "\(help.stderr)")
        // Signatures are not re-verified (--from after the year): the test CRL is newer than the simulated year.
        let passed = try await TestProcess.mezhved(["archive", "audit", "--gateway", gateway, "--from", "2030-01-01"])
        #expect(passed.status == 0, "\(passed.stdout)\(passed.stderr)")
        let log = "\(copy)/archive/log/events.log"
        var text = try String(contentsOfFile: log, encoding: .utf8)
        let marker = "\"people\":[\"hmac-sha256:"
        let range = try #require(text.range(of: marker, options: .backwards))
        let digit = text.index(range.upperBound, offsetBy: 3)
        text.replaceSubrange(digit...digit, with: text[digit] == "0" ? "1" : "0")
        try text.write(toFile: log, atomically: false, encoding: .utf8)
        let failed = try await TestProcess.mezhved(["archive", "audit", "--gateway", gateway, "--from", "2030-01-01"])
        #expect(failed.status == 7, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("log-damaged"), "\(failed.stdout)")
    }
}
