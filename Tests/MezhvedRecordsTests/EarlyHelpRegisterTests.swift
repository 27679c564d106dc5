import Foundation
import MezhvedTestSupport
import Testing

@Suite("mezhved register early-help")
struct EarlyHelpRegisterTests {
    @Test("organisations included and excluded on their days; the open-data export (CSV, JSON) has their public requisites and no person")
    func includeExcludeExport() async throws {
        let folder = try await SharedYear.folder.value
        let gateway = "\(folder)/cszn/gateway.yaml"
        func run(_ arguments: [String]) async throws -> ProcessOutput {
            try await TestProcess.mezhved(["register", "early-help"] + arguments + ["--gateway", gateway])
        }
        let first = try await run(["change", "early-help-center", "--date", "2025-02-03", "--decision", "Распоряжение № 12 от 03.02.2025"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("INCLUDED early-help-center on 2025-02-03, log entry "))
        await #expect(try run(["change", "ppms-center", "--date", "2025-03-01"]).status == 0)
        let twice = try await run(["change", "ppms-center", "--date", "2025-03-02"])
        #expect(twice.status == 6 && twice.stderr.contains("ppms-center is already in the register"), "\(twice.stderr)")
        let unknown = try await run(["change", "early-help-centr", "--date", "2025-03-02"])
        #expect(unknown.status == 6 && unknown.stderr.contains("did you mean early-help-center?"), "\(unknown.stderr)")
        let notMember = try await run(["change", "health", "--exclude", "--date", "2025-03-02"])
        #expect(notMember.status == 6 && notMember.stderr.contains("health is not in the register"), "\(notMember.stderr)")
        await #expect(try run(["change", "ppms-center", "--exclude", "--date", "2025-06-01"]).status == 0)

        let april = try await run(["export", "--as-of", "2025-04-01"])
        #expect(april.status == 0, "\(april.stderr)")
        let lines = april.stdout.split(separator: "\r\n").map(String.init)
        #expect(lines.first == "id,fullName,shortName,ogrn,inn,kpp,parent,address,phone,email,website,includedOn,decision")
        #expect(lines.dropFirst().map { String($0.prefix { $0 != "," }) } == ["early-help-center", "ppms-center"])
        #expect(lines[1].contains("1074709990123") && lines[1].hasSuffix(",2025-02-03,Распоряжение № 12 от 03.02.2025"))
        let january = try await run(["export", "--as-of", "2025-01-31"])
        #expect(january.stdout.split(separator: "\r\n").count == 1, "nobody before the first inclusion")
        let july = try await run(["export", "--format", "json", "--as-of", "2025-07-01"])
        let document = try JSONSerialization.jsonObject(with: Data(july.stdout.utf8)) as! [String: Any]
        let organisations = document["organisations"] as! [[String: Any]]
        #expect(organisations.map { $0["id"] as! String } == ["early-help-center"])
        #expect(document["regulation"] as? String == "459-р п. 1.4 пп. 1")
        // No person: not the organisations' head officials, not the generated people.
        let directory = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: TestProcess.path("Sources/MezhvedDocuments/Resources/directory/agencies.json"))))
        let agencies = ((directory as? [String: Any])?["agencies"] as? [[String: Any]]) ?? []
        let officials = agencies.compactMap { ($0["headOfficial"] as? [String: Any])?["name"] as? String }
        #expect(!officials.isEmpty)
        let people =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/people.json"))) as! [[String: String]]
        for text in [april.stdout, july.stdout] {
            for name in officials + people.map({ $0["lastName"]! }) + people.map({ $0["snils"]! }) where text.contains(name) {
                Issue.record("the export holds a person's name or SNILS")
            }
        }
    }
}
