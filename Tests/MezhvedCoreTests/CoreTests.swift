import Foundation
import MezhvedCore
import Testing

@Suite("Core: agency time, name suggestions, bounded reads")
struct CoreTests {
    @Test("the agencies' day and time are Moscow's, also across midnight UTC and against Foundation's formatter")
    func agencyTime() throws {
        // 2026-12-31T22:30:00Z is already 1 January 2027 in Moscow (UTC+3).
        let late = try #require(ISOTime.date("2026-12-31T22:30:00Z"))
        #expect(ISOTime.agencyDayString(late) == "2027-01-01")
        #expect(ISOTime.agencyYear(late) == 2027)
        #expect(ISOTime.agencyDateTime(late) == "2027-01-01T01:30:00+03:00")
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "Europe/Moscow")
        formatter.formatOptions = [.withInternetDateTime]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let moment = Date(timeIntervalSince1970: Double(UInt32.random(in: 1_400_000_000...2_000_000_000, using: &generator)))
            #expect(ISOTime.agencyDateTime(moment) == formatter.string(from: moment))
        }
        #expect(ISOTime.dateOrDay("2026-03-02") == ISOTime.date("2026-03-02T00:00:00Z"))
        #expect(ISOTime.dateOrDay("2026-02-30") == nil)
    }

    @Test("a mistyped name gets the nearest known one; a swap of neighbours is one edit; short names get no guess")
    func suggestions() {
        #expect(NearestName.suggestion(for: "signatry", among: ["signatory", "subject"]) == "signatory")
        #expect(NearestName.suggestion(for: "haed", among: ["head", "deputy"]) == "head")
        #expect(NearestName.suggestion(for: "y", among: ["x"]) == nil)
        #expect(NearestName.suggestion(for: "completely-different", among: ["agency", "archive"]) == nil)
    }

    @Test("a bounded read refuses endless and oversized input while reading, and names missing files and folders")
    func boundedRead() throws {
        #expect(BoundedRead.contents(of: "/dev/zero", limit: 1 << 20) == .failure(.tooLarge(limit: 1 << 20)))
        #expect(BoundedRead.contents(of: "/nonexistent", limit: 10) == .failure(.missing))
        #expect(BoundedRead.contents(of: "/tmp", limit: 10) == .failure(.folder))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bounded-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data("first line\r\nsecond\n".utf8)))
        #expect(BoundedRead.contents(of: path, limit: 18) == .failure(.tooLarge(limit: 18)))
        #expect(BoundedRead.contents(of: path, limit: 19) == .success(Array("first line\r\nsecond\n".utf8)))
        #expect(PassphraseFile.read(path) == .success(Array("first line".utf8)))
    }
}
