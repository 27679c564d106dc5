import Foundation
import MezhvedArchive
import Testing

@Suite("Person key")
struct PersonKeyTests {
    @Test("the keyed hash is HMAC-SHA-256 of the SNILS digits (checked with openssl), the same for every way of writing it")
    func hashMatchesOpenSSL() throws {
        let key = try PersonKey(bytes: Array(repeating: 7, count: 32))
        let hash = try key.hash(snils: "189-670-541 29")
        #expect(try key.hash(snils: "18967054129") == hash)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:" + String(repeating: "07", count: 32)]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data("18967054129".utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let hex = text.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        #expect(hash == "hmac-sha256:" + hex)
        #expect(try PersonKey(bytes: Array(repeating: 8, count: 32)).hash(snils: "189-670-541 29") != hash)
    }

    @Test("an invalid SNILS is refused without repeating it")
    func invalidSNILS() throws {
        let key = try PersonKey.generate()
        do {
            _ = try key.hash(snils: "189-670-541 28")
            Issue.record("accepted a SNILS with a wrong check number")
        } catch let error as ArchiveError {
            #expect(!error.description.contains("189-670-541"))
        }
    }
}
