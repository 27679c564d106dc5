import Foundation
import MezhvedTestSupport
import MezhvedValidation
import MezhvedXMLDSig
import Testing

/// OCSP responses carried in a signature (XAdES-LT `OCSPValues`), judged at a past moment with
/// the responder gone: the response the real `openssl ocsp` gave (valid 60 minutes) is good at
/// the proven signing time years later; altered, answered for another certificate, or judged at a
/// proven time past its nextUpdate, it establishes nothing; a revoked answer stays revoked.
extension RevocationTests {
    /// What the responder answers now about `name`, as the DER response and the evidence.
    func liveAnswer(_ name: String) async throws -> (bytes: [UInt8], evidence: RevocationEvidence) {
        let responder = try startResponder()
        defer { responder.stop() }
        let checker = try RevocationChecker(policy: policy(crl: false), trustStore: trust)
        let evidence = await checker.check(chain: try chain(name), at: Date())[0]
        #expect(evidence.source == .ocsp, "\(evidence.problems)")
        return (try #require(evidence.encoded, "the OCSP response's bytes are kept"), evidence)
    }

    func embeddedCheck(_ name: String, response: [UInt8], provenTime: Date?, at time: Date) async throws -> RevocationEvidence {
        let offline = try RevocationChecker(policy: policy(ocsp: false, crl: false), trustStore: trust)
        let embedded = EmbeddedRevocationData(
            XAdESLongTermValues(certificates: [], crls: [], ocspResponses: [response]), provenTime: provenTime)
        return await offline.check(chain: try chain(name), at: time, embedded: embedded)[0]
    }

    @Test("an embedded OCSP response is judged at the proven signing time, with no responder, years later")
    func embeddedOCSPAtPastTime() async throws {
        let (good, live) = try await liveAnswer("good")
        #expect(live.status == .good)
        guard let signed = live.thisUpdate else {
            Issue.record("the live answer has no thisUpdate")
            return
        }
        let later = Self.date("2046-06-01T00:00:00Z")
        let judged = try await embeddedCheck("good", response: good, provenTime: signed, at: later)
        #expect(judged.status == .good, "\(judged.problems)")
        #expect(judged.source == .ocspEmbedded)
        #expect(judged.location == "the signature's RevocationValues")

        // Only claimed (no proven time): judged at now, like any answer (now still within its 60 minutes).
        let claimed = try await embeddedCheck("good", response: good, provenTime: nil, at: later)
        #expect(claimed.status == .good, "\(claimed.problems)")
        // A proven time two hours after the response: past its nextUpdate, so not current then.
        let stale = try await embeddedCheck("good", response: good, provenTime: signed.addingTimeInterval(7200), at: later)
        #expect(stale.status != .good)
        #expect(stale.problems.contains { $0.contains("was not current at") }, "\(stale.problems)")
        // About another certificate: no CertID of it in the response.
        let other = try await embeddedCheck("revoked-later", response: good, provenTime: signed, at: later)
        #expect(other.status != .good)
        #expect(other.problems.contains { $0.contains("CertID mismatch") }, "\(other.problems)")
        // One byte near the end changed (the responder's certificate the response carries): refused.
        var altered = good
        altered[altered.count - 10] ^= 0x01
        let forged = try await embeddedCheck("good", response: altered, provenTime: signed, at: later)
        #expect(forged.status != .good)
        #expect(forged.problems.contains { $0.contains("does not verify") || $0.contains("did not chain") }, "\(forged.problems)")
    }

    @Test("an embedded OCSP answer of revoked stays revoked, with its date and reason")
    func embeddedOCSPRevoked() async throws {
        let (revoked, live) = try await liveAnswer("revoked-before")
        #expect(live.status == .revoked)
        guard let issued = live.thisUpdate else {
            Issue.record("the live answer has no thisUpdate")
            return
        }
        let judged = try await embeddedCheck("revoked-before", response: revoked, provenTime: issued, at: Self.date("2046-06-01T00:00:00Z"))
        #expect(judged.status == .revoked)
        #expect(judged.revocationTime == Self.revokedBeforeDate)
        #expect(judged.reason == "keyCompromise")
    }
}
