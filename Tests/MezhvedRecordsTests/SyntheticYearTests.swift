import Foundation
import MezhvedTestSupport
import Testing

/// One synthetic year for the suite (the real binary, the real workflows), made once.
enum SharedYear {
    static let requests = 150
    static let folder: Task<String, any Error> = Task {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-year-\(UUID().uuidString)").path
        let result = try await TestProcess.mezhved([
            "synthetic-year", "--out", folder, "--year", "2025", "--requests", String(requests), "--people", "60", "--root",
            TestProcess.root.path,
        ])
        guard result.status == 0 else { throw SyntheticYearFailed(output: result.stdout + result.stderr) }
        return folder
    }

    struct SyntheticYearFailed: Error, CustomStringConvertible {
        let output: String
        var description: String { "mezhved synthetic-year failed: \(output)" }
    }

    /// A private copy of `agency`'s gateway folder (with the shared person key beside it), for a test
    /// that writes: the shared year's own journals stay as generated while other tests recompute
    /// their reports from them.
    static func copy(of agency: String, as name: String) async throws -> String {
        let folder = try await folder.value
        let copy = "\(folder)/\(name)"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(folder)/\(agency)", toPath: "\(copy)/\(agency)")
        try FileManager.default.copyItem(atPath: "\(folder)/person.key", toPath: "\(copy)/person.key")
        return "\(copy)/\(agency)"
    }

    static let calendar = TestProcess.path("Sources/MezhvedDocuments/Resources/calendar/ru-production-calendar.json")
    static let recompute = TestProcess.path("Tests/Reports/recompute_report.py")

    /// `mezhved report …` for `agency`'s gateway, written to `file`.
    static func report(_ arguments: [String], agency: String, format: String, to file: String) async throws -> ProcessOutput {
        let folder = try await folder.value
        return try await TestProcess.mezhved(
            ["report"] + arguments + ["--gateway", "\(folder)/\(agency)/gateway.yaml", "--format", format, "-o", file])
    }
}

@Suite("Reports over a synthetic year")
struct SyntheticYearTests {
    @Test(
        "every figure of the yearly and quarterly reports (JSON and CSV) is recomputed from the raw events.log by plain Python",
        arguments: [
            (["yearly", "--year", "2025", "--as-of", "2025-12-31"], "social-protection"),
            (["yearly", "--year", "2025", "--as-of", "2026-02-15"], "health"),
            (["quarterly", "--year", "2025", "--quarter", "2", "--as-of", "2025-07-10"], "social-protection"),
            (["quarterly", "--year", "2025", "--quarter", "4", "--as-of", "2025-12-31"], "education"),
        ])
    func recomputedFromTheJournal(arguments: [String], agency: String) async throws {
        let folder = try await SharedYear.folder.value
        let base = "\(folder)/check-\(agency)-\(arguments.joined(separator: "-"))"
        let json = try await SharedYear.report(arguments, agency: agency, format: "json", to: base + ".json")
        #expect(json.status == 0, "\(json.stderr)")
        let csv = try await SharedYear.report(arguments, agency: agency, format: "csv", to: base + ".csv")
        #expect(csv.status == 0, "\(csv.stderr)")
        let log = "\(folder)/\(agency)/archive/log/events.log"
        let check = try await TestProcess.run("python3", [SharedYear.recompute, base + ".json", log, SharedYear.calendar, base + ".csv"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains(", 0 different"), "\(check.stdout)")
        // The report has something to compare: documents, joint events and people for the hub's year.
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + ".json"))) as! [String: Any]
        let totals = report["totals"] as! [String: Any]
        #expect((totals["documentsReceived"] as! Int) > 0)
        if agency == "social-protection" && arguments[0] == "yearly" {
            #expect((totals["jointEvents"] as! Int) > 0)
            #expect((totals["peopleHelped"] as! Int) > 0)
            #expect(!(report["overdue"] as! [Any]).isEmpty, "the year has late and unanswered requests")
            let children = report["children"] as! [String: Int]
            #expect(children["included"]! > 0 && children["inRecord"]! > 0 && children["transferredOut"]! > 0, "\(children)")
        }
        if agency == "education" {
            let children = report["children"] as! [String: Int]
            #expect(children["inRecord"]! > 0, "the child the hub transferred in June is in education's record: \(children)")
        }
        // A figure changed by one is caught: the check is not vacuous.
        var changed = report
        var changedTotals = totals
        changedTotals["documentsReceived"] = (totals["documentsReceived"] as! Int) + 1
        changed["totals"] = changedTotals
        try JSONSerialization.data(withJSONObject: changed).write(to: URL(fileURLWithPath: base + ".tampered.json"))
        let tampered = try await TestProcess.run("python3", [SharedYear.recompute, base + ".tampered.json", log, SharedYear.calendar])
        #expect(tampered.status == 1, "\(tampered.stdout)")
        #expect(tampered.stdout.contains("totals.documentsReceived"), "\(tampered.stdout)")
        // So is a children's figure.
        var children = report["children"] as! [String: Int]
        children["inRecord"]! += 1
        changed = report
        changed["children"] = children
        try JSONSerialization.data(withJSONObject: changed).write(to: URL(fileURLWithPath: base + ".tampered-children.json"))
        let childTampered = try await TestProcess.run(
            "python3", [SharedYear.recompute, base + ".tampered-children.json", log, SharedYear.calendar])
        #expect(childTampered.status == 1 && childTampered.stdout.contains("children.inRecord"), "\(childTampered.stdout)")
    }

    @Test("no name or SNILS of the generated people appears in any report, export or journal log")
    func noPersonalData() async throws {
        let folder = try await SharedYear.folder.value
        let people =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/people.json"))) as! [[String: String]]
        #expect(people.count == 60)
        var needles: [String] = []
        for person in people {
            needles += [person["lastName"]!, "\(person["firstName"]!) \(person["middleName"]!)", person["snils"]!]
            needles.append(person["snils"]!.filter(\.isNumber))
        }
        var files: [String] = []
        for agency in ["social-protection", "health", "education", "employment", "cszn"] {
            for (arguments, name) in [
                (["yearly", "--year", "2025", "--as-of", "2025-12-31"], "yearly"),
                (["quarterly", "--year", "2025", "--quarter", "3", "--as-of", "2025-12-31"], "q3"),
            ] {
                for format in ["json", "csv", "html"] {
                    let file = "\(folder)/pd-\(agency)-\(name).\(format)"
                    let result = try await SharedYear.report(arguments, agency: agency, format: format, to: file)
                    #expect(result.status == 0, "\(result.stderr)")
                    #expect(!needles.contains { result.stdout.contains($0) || result.stderr.contains($0) })
                    files.append(file)
                }
            }
            files.append("\(folder)/\(agency)/archive/log/events.log")
        }
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(!text.isEmpty)
            for needle in needles where text.contains(needle) {
                Issue.record("\(file) contains personal data (\(needle.count) characters)")
            }
        }
        // The people are really in the documents exchanged (encrypted at rest): the documents'
        // personal data is what the reports leave out, not something never written.
        let (sample, _) = try await firstPersonInAnArchive(folder: folder, people: people)
        #expect(sample, "no generated person found in a decrypted archived document")
    }

    /// Whether a generated person is in the original of the first incoming request of the hub (the key decrypts it).
    func firstPersonInAnArchive(folder: String, people: [[String: String]]) async throws -> (Bool, String) {
        let archive = "\(folder)/social-protection/archive"
        let list = try await TestProcess.mezhved([
            "archive", "list", "--archive", archive, "--kind", "request", "--direction", "incoming", "--limit", "1", "--json",
        ])
        let entries = (try? JSONSerialization.jsonObject(with: Data(list.stdout.utf8))) as? [[String: Any]] ?? []
        guard let number = entries.first?["number"] as? String else { return (false, list.stdout + list.stderr) }
        let out = "\(folder)/exported"
        let export = try await TestProcess.mezhved([
            "archive", "export", "--archive", archive, "--data-key", "\(folder)/social-protection/data.key", number, "--year", "2025",
            "--output-dir", out, "--trust", TestProcess.path("Certificates/trust/gost"), "--crl",
            TestProcess.path("Certificates/gost/ca.crl.pem"),
        ])
        guard export.status == 0 else { return (false, export.stderr) }
        let texts = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".xml") }.map {
            try String(contentsOfFile: "\(out)/\($0)", encoding: .utf8)
        }
        return (texts.contains { text in people.contains { text.contains($0["lastName"]!) && text.contains($0["snils"]!) } }, "")
    }
}
