import Foundation
import MezhvedCore
import Testing

@testable import MezhvedXMLDSig

@Suite("ISO 8601 times without ICU")
struct ISOTimeTests {
    @Test("writes exactly what ISO8601DateFormatter writes, for times across two centuries")
    func sameAsFoundation() {
        let formatter = ISO8601DateFormatter()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000...4_000_000_000, using: &generator)))
            #expect(ISOTime.string(date) == formatter.string(from: date))
            #expect(ISOTime.date(ISOTime.string(date)) == date)
        }
    }

    @Test("milliseconds are written and read back")
    func milliseconds() throws {
        let date = Date(timeIntervalSince1970: 1_772_446_500.123)
        #expect(ISOTime.string(date, milliseconds: true) == "2026-03-02T10:15:00.123Z")
        let read = try #require(ISOTime.date("2026-03-02T10:15:00.123Z"))
        #expect(abs(read.timeIntervalSince1970 - 1_772_446_500.123) < 0.0005)
    }

    @Test("zones: Z and offsets are applied")
    func zones() {
        let utc = ISOTime.date("2026-03-02T10:15:00Z")
        #expect(utc == ISOTime.date("2026-03-02T13:15:00+03:00"))
        #expect(utc == ISOTime.date("2026-03-02T07:15:00-03:00"))
        #expect(utc?.timeIntervalSince1970 == 1_772_446_500)
    }

    @Test(
        "anything else is refused",
        arguments: [
            "", "2026-03-02", "2026-03-02T10:15:00", "2026-02-30T10:15:00Z", "2026-13-01T00:00:00Z", "2026-03-02T24:00:00Z",
            "2026-03-02T10:15:00.Z", "2026-03-02T10:15:00Zjunk", "2026-03-02 10:15:00Z", "２０２６-03-02T10:15:00Z", "2026-03-02T10:15:00+3:00",
        ])
    func refused(text: String) {
        #expect(ISOTime.date(text) == nil)
    }
}
