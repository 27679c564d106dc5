import Foundation
import Testing

@testable import MezhvedXMLDSig

/// The hand scans that replaced regular expressions (ICU patterns on Linux) on the start-up path
/// are checked against those regular expressions, on fixed and on random names.
@Suite("Name scans without regular expressions")
struct NameScanTests {
    static func redactedByRegex(_ name: String) -> String {
        var result = name
        for pattern in [#"(SNILS=)[0-9#A-Fa-f-]+"#, #"(INN=)[0-9]{12}\b"#, #"(1\.2\.643\.100\.3=)[#0-9A-Fa-f]+"#] {
            result = result.replacingOccurrences(of: pattern, with: "$1[redacted]", options: .regularExpression)
        }
        return result
    }

    @Test(
        "personal numbers are redacted exactly where the regular expressions redact them",
        arguments: [
            "CN=Иванов Иван,SNILS=11223344595,INN=500100732259,C=RU",
            "CN=Агентство,OGRN=1234567890123,INNLE=7812345678,C=RU",
            "INN=500100732259",
            "INN=5001007322591",
            "INN=50010073225_",
            "INN=500100732259,INN=12",
            "1.2.643.100.3=#120b3131323233333434353935,CN=x",
            "SNILS=,CN=y",
            "SNILS=112-233-445 95",
            "CN=Пётр SNILS=#0A0b-1 INN=123456789012й",
        ])
    func redactionMatchesRegex(name: String) {
        #expect(CertificateSummary.redacted(name) == Self.redactedByRegex(name))
    }

    @Test("random names over the alphabet of the patterns are redacted as the regular expressions do")
    func randomRedaction() {
        let pieces = [
            "SNILS=", "INN=", "1.2.643.100.3=", "0", "9", "1234", "123456789012", "a", "F", "#", "-", "_", ",", " ", "L", "ж", "=", ".",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let name = (0..<Int.random(in: 1...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            #expect(CertificateSummary.redacted(name) == Self.redactedByRegex(name), "\(name)")
        }
    }

    @Test(
        "c_rehash link names are told apart as the regular expressions did",
        arguments: [
            "724654d9.0", "724654d9.r0", "724654d9.12", "724654d9.r", "724654D9.0", "724654d9.", "724654d.0", "724654d9x0", "ca.pem",
            "724654d9.0.pem", "724654d9.r12",
        ])
    func hashLinks(name: String) {
        let certificate = name.range(of: #"^[0-9a-f]{8}\.[0-9]+$"#, options: .regularExpression) != nil
        let crl = name.range(of: #"^[0-9a-f]{8}\.r[0-9]+$"#, options: .regularExpression) != nil
        let kind = OpenSSLHashLink(name)
        #expect(kind == (certificate ? .certificate : crl ? .crl : nil))
    }
}
