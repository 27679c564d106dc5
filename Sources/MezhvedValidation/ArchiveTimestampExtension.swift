import Foundation
import MezhvedCore
import MezhvedXMLDSig

/// Extends an XAdES-LT signature to XAdES-LTA, or an LTA signature once more (ETSI EN 319 132-1
/// B-LTA): adds at the end of its unsigned signature properties an `xades141:ArchiveTimeStamp`
/// over the signature and everything it carries (the references' content, SignedInfo,
/// SignatureValue, KeyInfo, the earlier unsigned properties). Re-stamping first adds an
/// `xades141:TimeStampValidationData` with the certificates of the last archive timestamp's TSA,
/// so that stamp can be judged later through the new one. Renew before the last stamp's TSA
/// certificate expires or its digest weakens; a validator then judges each stamp at the time of the
/// one after it, and the signature timestamps at the time of the oldest (past validation).
///
/// Nothing signed changes: only unsigned properties are added.
public enum ArchiveTimestampExtension {
    /// The extended document. `validator` decides, now, that the signature holds (TOTAL-PASSED,
    /// with its validation data embedded: XAdES-LT or -LTA); `timestamper` stamps. Throws
    /// ``ValidationError`` (`longTermFailed`) with nothing written when the signature is not LT or
    /// does not hold, or the TSA gives no token.
    public static func extend(
        _ signed: [UInt8], sourceName: String, validator: QualifiedValidator, timestamper: any SignatureTimestamper
    ) async throws -> [UInt8] {
        let verifier = SignatureVerifier(
            trustStore: validator.trustStore, policy: validator.policy.verification, intermediates: validator.intermediates)
        let core = try verifier.verify(signed, sourceName: sourceName)
        guard let xades = core.xades, xades.level == .lt || xades.level == .lta else {
            throw ValidationError(
                .longTermFailed,
                "\(sourceName) is \(core.xades?.level.rawValue ?? "not XAdES"): an archive timestamp is added to an XAdES-LT or -LTA signature",
                hint: "sign with --xades lt (or lta) first; an LT signature carries the validation data the stamp must cover")
        }
        let report = try await validator.validate(signed, sourceName: sourceName)
        guard report.indication == .totalPassed else {
            let reasons = report.findings.filter { $0.severity != .warning }.map(\.message).prefix(3).joined(separator: "; ")
            throw ValidationError(
                .longTermFailed,
                "\(sourceName) is \(report.indication.rawValue) now (\(reasons)): an archive timestamp over a signature that does not hold proves nothing",
                hint: "validate it with `mezhved verify --report text` and fix what it says")
        }
        var document = signed
        if let last = xades.archiveTimestamps.last {
            guard last.isValid else {
                throw ValidationError(
                    .longTermFailed,
                    "the last archive timestamp of \(sourceName) (\(ISOTime.string(last.genTime))) does not hold now: \(last.problems.joined(separator: "; "))",
                    hint: "an archive timestamp must be renewed while the last one still holds")
            }
            let certificates = last.tsaPath.map(\.der)
            var xml = "<xades141:TimeStampValidationData xmlns:xades141=\"\(XAdESNamespace.v141)\"><xades:CertificateValues>"
            for der in certificates {
                xml += "<xades:EncapsulatedX509Certificate>\(Base64.encode(der))</xades:EncapsulatedX509Certificate>"
            }
            xml += "</xades:CertificateValues></xades141:TimeStampValidationData>"
            document = try LongTermExtension.insertUnsigned(xml, into: document, sourceName: sourceName)
        }
        guard let algorithm = core.signatureAlgorithm.flatMap(SignatureAlgorithm.init(rawValue:)) else {
            throw ValidationError(.longTermFailed, "\(sourceName): the signature's algorithm is not one mezhved knows")
        }
        let request = try verifier.archiveTimestampImprint(document, sourceName: sourceName, signatureAlgorithm: algorithm)
        let token: [UInt8]
        do {
            token = try await timestamper.timestamp(messageImprint: request.imprint, algorithm: request.algorithm)
        } catch {
            throw ValidationError(
                .longTermFailed, "the time-stamping authority gave no archive timestamp for \(sourceName): \(error)",
                hint: "check --tsa and that the TSA is reachable")
        }
        let id = "ats-" + UUID().uuidString.lowercased()
        let stamp =
            "<xades141:ArchiveTimeStamp xmlns:xades141=\"\(XAdESNamespace.v141)\" Id=\"\(id)\">"
            + "<ds:CanonicalizationMethod xmlns:ds=\"\(XMLDSigNamespace.dsig)\" Algorithm=\"\(CanonicalizationAlgorithm.c14n10.uri)\"/>"
            + "<xades:EncapsulatedTimeStamp>\(Base64.encode(token))</xades:EncapsulatedTimeStamp></xades141:ArchiveTimeStamp>"
        let extended = try LongTermExtension.insertUnsigned(stamp, into: document, sourceName: sourceName)
        // The result must read back as XAdES-LTA whose new stamp holds, the signature intact.
        let check = try verifier.verify(extended, sourceName: sourceName)
        guard check.status == .valid, check.xades?.level == .lta, let added = check.xades?.archiveTimestamps.last, added.isValid,
            added.id == id
        else {
            let problems = (check.problems.map(\.message) + (check.xades?.archiveTimestamps.last?.problems ?? [])).prefix(3)
            throw ValidationError(
                .longTermFailed,
                "\(sourceName) did not read back as XAdES-LTA with a valid new archive timestamp: \(problems.joined(separator: "; "))",
                hint: "check that the TSA is trusted (--trust) and its certificate may stamp")
        }
        return extended
    }
}

extension LongTermExtension {
    /// `signed` extended to `level`: `.lt` adds the validation data to an XAdES-T signature;
    /// `.lta` adds an archive timestamp from `timestamper` (an XAdES-T signature is made LT first,
    /// an LTA one is renewed). Throws ``ValidationError`` (`longTermFailed`) with nothing written
    /// when it cannot be done, and for any other level.
    public static func extend(
        _ signed: [UInt8], sourceName: String, to level: XAdESLevel, validator: QualifiedValidator,
        timestamper: (any SignatureTimestamper)?
    ) async throws -> [UInt8] {
        switch level {
        case .lt:
            return try await extend(signed, sourceName: sourceName, validator: validator)
        case .lta:
            guard let timestamper else {
                throw ValidationError(.longTermFailed, "an archive timestamp for \(sourceName) needs a time-stamping authority")
            }
            let current = try SignatureVerifier(
                trustStore: validator.trustStore, policy: validator.policy.verification, intermediates: validator.intermediates
            ).verify(signed, sourceName: sourceName).xades?.level
            let longTerm = current == .t ? try await extend(signed, sourceName: sourceName, validator: validator) : signed
            return try await ArchiveTimestampExtension.extend(
                longTerm, sourceName: sourceName, validator: validator, timestamper: timestamper)
        default:
            throw ValidationError(.longTermFailed, "\(sourceName): a signature is extended to XAdES-LT or -LTA, not \(level.rawValue)")
        }
    }
}
