import Foundation
import Testing

/// The document commands end to end through the real executable, on the bundled sample forms.
@Suite("mezhved document commands")
struct DocumentCLITests {
    let dir: URL

    init() throws { dir = try Fixtures.temporaryDirectory() }

    func mezhved(_ arguments: [String]) async throws -> ProcessResult { try await Tool.run(Tool.mezhved, arguments) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    let form = Fixtures.path("Samples/forms/request-unemployment-status.yaml")
    var signing: [String] {
        ["--key", Fixtures.gostSocial.key, "--cert", Fixtures.gostSocial.cert, "--chain", Fixtures.gostSocial.chain!]
    }

    @Test("request new → validate → verify → answer new → validate --request → receipt new → render")
    func lifecycle() async throws {
        let request = path("request.xml")
        let composed = try await mezhved(["request", "new", "--form", form, "-o", request] + signing)
        #expect(composed.status == 0, "\(composed.stderr)")
        let validated = try await mezhved(["validate", request])
        #expect(validated.status == 0)
        #expect(validated.stdout.hasPrefix("VALID: \(request) (request, signed)"))
        await #expect(try mezhved(["verify", request, "--trust", Fixtures.gostSocial.trust]).status == 0)

        let answer = path("answer.xml")
        let answered = try await mezhved([
            "answer", "new", "--request", request, "--form", Fixtures.path("Samples/forms/answer-unemployment-status.yaml"), "-o", answer,
            "--key", Fixtures.gostEmployment.key, "--cert", Fixtures.gostEmployment.cert, "--chain", Fixtures.gostEmployment.chain!,
        ])
        #expect(answered.status == 0, "\(answered.stderr)")
        let json = try await mezhved(["validate", answer, "--request", request, "--json"])
        #expect(json.status == 0, "\(json.stdout)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["valid"] as? Bool == true)
        #expect(object?["kind"] as? String == "answer")

        let receipt = path("receipt.xml")
        let received = try await mezhved(["receipt", "new", "--document", request, "--incoming-number", "ЗКТ-2026-000123", "-o", receipt])
        #expect(received.status == 0, "\(received.stderr)")
        await #expect(try mezhved(["validate", receipt]).status == 0)

        let html = path("request.html")
        let rendered = try await mezhved(["render", request, "--trust", Fixtures.gostSocial.trust, "-o", html])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("ДОКУМЕНТ ПОДПИСАН"))
        #expect(page.contains("подпись действительна"))
        let unchecked = try await mezhved(["render", request, "--redact-personal-data"])
        #expect(unchecked.status == 0)
        #expect(unchecked.stdout.contains("подпись не проверялась"))
        #expect(!unchecked.stdout.contains("145-236-987 76"))
    }

    @Test("a form with mistakes: exit 6, every problem on its own line with its path")
    func brokenForm() async throws {
        let text = try String(contentsOfFile: form, encoding: .utf8)
            .replacingOccurrences(of: "recipient: employment", with: "recipient: employmnet")
            .replacingOccurrences(of: "145-236-987 76", with: "145-236-987 77")
        let broken = path("broken.yaml")
        try Data(text.utf8).write(to: URL(fileURLWithPath: broken))
        let result = try await mezhved(["request", "new", "--form", broken, "-o", path("out.xml")])
        #expect(result.status == 6)
        #expect(result.stderr.contains("2 problems"))
        #expect(result.stderr.contains("  - recipient.agency: unknown agency \"employmnet\""))
        #expect(result.stderr.contains("  - personalData[0].snils: SNILS check digits are 77, expected 76"))
        #expect(!FileManager.default.fileExists(atPath: path("out.xml")), "nothing is written for an invalid form")
    }

    @Test("validate: a document that breaks its schema exits 6 and names the element and line; garbage exits 3")
    func validateFailures() async throws {
        let request = path("request.xml")
        await #expect(try mezhved(["request", "new", "--form", form, "-o", request]).status == 0)
        let text = try String(contentsOfFile: request, encoding: .utf8)
        let broken = path("broken.xml")
        try Data(
            text.replacingOccurrences(of: "<ResponseDeadline>", with: "<Deadline>").replacingOccurrences(
                of: "</ResponseDeadline>", with: "</Deadline>"
            ).utf8
        )
        .write(to: URL(fileURLWithPath: broken))
        let result = try await mezhved(["validate", broken])
        #expect(result.status == 6)
        #expect(result.stdout.contains("INVALID: \(broken)"))
        #expect(result.stdout.contains("Deadline"))
        #expect(result.stdout.contains("(line "))
        let garbage = path("garbage.xml")
        try Data("not xml".utf8).write(to: URL(fileURLWithPath: garbage))
        await #expect(try mezhved(["validate", garbage]).status == 3)
    }

    @Test("option checks: receipt needs exactly one outcome; calendar fallback values; an inconsistent directory is refused")
    func options() async throws {
        let request = Fixtures.path("Samples/request-unemployment-status.signed.xml")
        let both = try await mezhved([
            "receipt", "new", "--document", request, "--incoming-number", "1", "--reject", "Неверный адресат запроса",
        ])
        #expect(both.status == 64)
        let fallback = try await mezhved(["request", "new", "--form", form, "--calendar-fallback", "guess"])
        #expect(fallback.status == 64)
        #expect(fallback.stderr.contains("none or labour-code"))
        let directory = path("agencies.json")
        try Data("{\"format\": \"x\", \"agencies\": [], \"regulations\": []}".utf8).write(to: URL(fileURLWithPath: directory))
        let bad = try await mezhved(["request", "new", "--form", form, "--directory", directory])
        #expect(bad.status == 3, "\(bad.stderr)")
        #expect(bad.stderr.contains("the directory has no agencies"))
        #expect(bad.stderr.contains(directory))
    }
}
