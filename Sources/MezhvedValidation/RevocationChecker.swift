import Foundation
import MezhvedXMLDSig
import Synchronization

/// Checks the revocation of each certificate of a validated path with OCSP and CRLs (from files
/// and from distribution points over HTTP), by a ``RevocationPolicy``. Thread-safe: one checker
/// serves a whole gateway, and its CRL cache with it.
///
/// Fetched CRLs are kept by URL (in memory, and in ``RevocationPolicy/cacheFolder`` when set)
/// and reused while fresh — before their nextUpdate, or within
/// ``RevocationPolicy/maximumCRLAge`` of their thisUpdate when they have none. A stale one is
/// fetched again; a stale one whose distribution point does not answer is not used (the
/// certificate is then ``RevocationEvidence/Status-swift.enum/unavailable``, never `good`).
public final class RevocationChecker: Sendable {
    /// The policy the checker was made with.
    public let policy: RevocationPolicy
    private let trustStore: TrustStore
    private let files: [(path: String, crl: CRL)]
    private let cache: CRLCache
    /// OCSP answers by responder, issuer and serial, while current (``RevocationPolicy/cacheOCSP``).
    private let ocspAnswers = Mutex<[String: SourceAnswer]>([:])
    private let clock: @Sendable () -> Date

    /// A checker for `policy`, whose OCSP responders' certificates must chain to `trustStore`.
    /// `clock` gives "now" (freshness, cache); tests may move it.
    ///
    /// - Throws: ``ValidationError`` (`configuration`) when a CRL file cannot be read or parsed,
    ///   or the cache folder cannot be created or written.
    public init(policy: RevocationPolicy, trustStore: TrustStore, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        CryptoRuntime.ready()
        self.policy = policy
        self.trustStore = trustStore
        self.clock = clock
        var files: [(String, CRL)] = []
        for path in policy.crlFiles {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError(.configuration, "the CRL file \(path) cannot be read", hint: "check the path and its permissions")
            }
            do {
                files += try CRL.parse([UInt8](data), origin: path).map { (path, $0) }
            } catch let error as ValidationError {
                throw ValidationError(.configuration, error.message, hint: error.hint, openSSLErrors: error.openSSLErrors)
            }
        }
        self.files = files
        if let folder = policy.cacheFolder {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ValidationError(
                    .configuration, "the CRL cache folder \(folder) cannot be created", hint: "give a writable folder, or none")
            }
            guard FileManager.default.isWritableFile(atPath: folder) else {
                throw ValidationError(
                    .configuration, "the CRL cache folder \(folder) is not writable", hint: "give a writable folder, or none")
            }
        }
        cache = CRLCache(folder: policy.cacheFolder)
    }

    /// Checks every certificate of `chain` but the last: `chain` is a validated path from the
    /// signer (first) to the trust anchor (last), and each certificate's issuer is the next one.
    /// `time` is the moment of interest — the proven signing time, else now; it is recorded in
    /// the evidence, and the caller compares it with ``RevocationEvidence/revocationTime``.
    /// Freshness is always judged at the clock's now.
    ///
    /// - Returns: One evidence per checked certificate, signer first. Never throws: a source that
    ///   cannot be used is a problem in the evidence.
    ///
    /// The certificates are checked one after the other; each source's network exchange is
    /// awaited through ``RevocationPolicy/transport`` without blocking a thread.
    public func check(chain: [Certificate], at time: Date, embedded: EmbeddedRevocationData? = nil) async -> [RevocationEvidence] {
        guard chain.count > 1 else { return [] }
        var evidence: [RevocationEvidence] = []
        for index in 0..<(chain.count - 1) {
            evidence.append(
                await check(chain[index], issuerPath: Array(chain[(index + 1)...]), isSigner: index == 0, at: time, embedded: embedded))
        }
        return evidence
    }

    /// Checks one certificate; `issuerPath` is its issuer followed by the issuer's own path up
    /// to the anchor (used to verify OCSP responders). `isSigner` says whether it is a signer's
    /// certificate (see ``RevocationPolicy/ocspResponderScope``).
    public func check(
        _ certificate: Certificate, issuerPath: [Certificate], isSigner: Bool = true, at time: Date,
        embedded: EmbeddedRevocationData? = nil
    ) async -> RevocationEvidence {
        CryptoRuntime.ready()
        guard let issuer = issuerPath.first else {
            return evidence(
                certificate, status: .unavailable, at: time,
                problems: ["the issuer of \(displayName(certificate)) was not given, so no revocation source can be checked"])
        }
        var problems: [String] = []
        var unknown: SourceAnswer?
        var named = false
        for source in sources(for: certificate, issuerPath: issuerPath, isSigner: isSigner, embedded: embedded) {
            named = true
            do {
                // Each source starts on an empty OpenSSL error queue and leaves none across its waits.
                _ = drainOpenSSLErrors()
                let answer = try await source.run()
                switch answer.status {
                case .good, .revoked:
                    return evidence(certificate, answer: answer, at: time, problems: problems)
                default:
                    if unknown == nil { unknown = answer }
                    problems.append("\(answer.location) does not know the certificate (OCSP status unknown)")
                }
            } catch let failure as SourceFailure {
                problems.append(failure.problem)
            } catch {
                problems.append("\(error)")
            }
        }
        if let unknown { return evidence(certificate, answer: unknown, at: time, problems: problems) }
        if named { return evidence(certificate, status: .unavailable, at: time, problems: problems) }
        var note =
            "\(displayName(certificate)) names no OCSP responder or CRL distribution point, and no responder or CRL file of "
            + "\(displayName(issuer)) was configured: revocation not checked"
        if policy.requireRevocation { note += " (the policy requires revocation checking: INDETERMINATE)" }
        return evidence(certificate, status: .notChecked, at: time, problems: [note])
    }

    /// A source to try: runs it and returns its answer or throws a ``SourceFailure``.
    private struct Attempt {
        let run: () async throws -> SourceAnswer
    }

    /// The sources of `certificate`, in the policy's order.
    private func sources(for certificate: Certificate, issuerPath: [Certificate], isSigner: Bool, embedded: EmbeddedRevocationData?)
        -> [Attempt]
    {
        let issuer = issuerPath[0]
        var ocsp: [String] = []
        if let configured = policy.ocspResponder, isSigner || policy.ocspResponderScope == .everyCertificate {
            ocsp.append(configured)
        }
        if policy.ocspFromAIA { ocsp += ocspResponders(of: certificate).filter { !ocsp.contains($0) } }
        let client = OCSPClient(policy: policy, trustStore: trustStore)
        let ocspAttempts = ocsp.map { url in
            Attempt { try await self.ocspAnswer(url, client: client, certificate: certificate, issuerPath: issuerPath) }
        }
        var crlAttempts: [Attempt] = []
        // The issuer's CRL files, newest first: a newer CRL overrides an older one.
        let issuerFiles = files.filter { $0.crl.isNamed(by: issuer) }.sorted {
            ($0.crl.thisUpdate ?? .distantPast) > ($1.crl.thisUpdate ?? .distantPast)
        }
        for (path, crl) in issuerFiles {
            crlAttempts.append(
                Attempt {
                    try crl.answer(
                        for: certificate, issuer: issuer, now: self.clock(), policy: self.policy, source: .crlFile, location: path,
                        fetchedAt: nil)
                })
        }
        if policy.fetchCRLs {
            for url in crlDistributionPoints(of: certificate) {
                crlAttempts.append(Attempt { try await self.distributionPointAnswer(url, certificate: certificate, issuer: issuer) })
            }
        }
        // The signature's own validation data come last: current sources, when they answer, win.
        var embeddedAttempts: [Attempt] = []
        for crl in embedded?.crls ?? [] where crl.isNamed(by: issuer) {
            embeddedAttempts.append(
                Attempt {
                    // Judged at the proven signing time (or when the CRL was issued, if later): a CRL
                    // current then shows the certificate was not revoked when the signature was made.
                    let at = max(embedded?.provenTime ?? self.clock(), crl.thisUpdate ?? .distantPast)
                    return try crl.answer(
                        for: certificate, issuer: issuer, now: at, policy: self.policy, source: .crlEmbedded,
                        location: "the signature's RevocationValues", fetchedAt: nil)
                })
        }
        for response in embedded?.ocspResponses ?? [] {
            embeddedAttempts.append(
                Attempt {
                    try client.judgeEmbedded(
                        response, about: certificate, issuer: issuer, issuerPath: issuerPath, provenTime: embedded?.provenTime,
                        now: self.clock())
                })
        }
        return (policy.order == .ocspFirst ? ocspAttempts + crlAttempts : crlAttempts + ocspAttempts) + embeddedAttempts
    }

    /// The answer of the OCSP responder at `url`: a kept one while current, else a new one (kept
    /// when it is good or revoked and the policy caches OCSP).
    private func ocspAnswer(_ url: String, client: OCSPClient, certificate: Certificate, issuerPath: [Certificate]) async throws
        -> SourceAnswer
    {
        let key = "\(url) \(issuerPath[0].sha256Fingerprint) \(certificate.serialNumber)"
        if policy.cacheOCSP, let kept = ocspAnswers.withLock({ $0[key] }), isCurrent(kept, at: clock()) { return kept }
        let answer = try await client.ask(url, about: certificate, issuer: issuerPath[0], issuerPath: issuerPath, now: clock)
        if policy.cacheOCSP, answer.status == .good || answer.status == .revoked {
            ocspAnswers.withLock { $0[key] = answer }
        }
        return answer
    }

    /// Whether a kept OCSP answer may still be used at `now`.
    private func isCurrent(_ answer: SourceAnswer, at now: Date) -> Bool {
        guard let thisUpdate = answer.thisUpdate, thisUpdate <= now.addingTimeInterval(policy.clockSkew) else { return false }
        let end = answer.nextUpdate ?? thisUpdate.addingTimeInterval(policy.ocspMaximumAge)
        return now < end
    }

    /// The answer of the CRL at `url`: the cached one while fresh, else a newly fetched one.
    private func distributionPointAnswer(_ url: String, certificate: Certificate, issuer: Certificate) async throws -> SourceAnswer {
        let now = clock()
        let cached = await cache.lookup(url)
        if let cached, cached.crl.isFresh(at: now, maximumAge: policy.maximumCRLAge) {
            return try cached.crl.answer(
                for: certificate, issuer: issuer, now: now, policy: policy, source: .crlHTTP, location: url, fetchedAt: cached.fetchedAt)
        }
        let stale = cached
        let bytes: [UInt8]
        do {
            bytes = try await policy.transport.get(url, expecting: nil)
        } catch is CancellationError {
            throw SourceFailure(problem: "fetching the CRL from \(url) was cancelled")
        } catch let error as ValidationError {
            if let stale {
                throw SourceFailure(
                    problem: "the cached CRL from \(url) is stale (nextUpdate \(stale.crl.nextUpdate.map(iso) ?? "none")) and the "
                        + "distribution point could not be used: \(error)")
            }
            throw SourceFailure(problem: "the CRL distribution point \(url) could not be used: \(error)")
        }
        let fetchedAt = clock()
        let crl: CRL
        do {
            guard let first = try CRL.parse(bytes, origin: url).first else { throw SourceFailure(problem: "\(url) holds no CRL") }
            crl = first
        } catch let error as ValidationError {
            throw SourceFailure(problem: "the CRL distribution point \(url) sent no usable CRL: \(error)")
        }
        let answer = try crl.answer(
            for: certificate, issuer: issuer, now: fetchedAt, policy: policy, source: .crlHTTP, location: url, fetchedAt: fetchedAt)
        _ = drainOpenSSLErrors()
        await cache.store(url, CachedCRL(crl: crl, fetchedAt: fetchedAt))
        return answer
    }

    private func evidence(_ certificate: Certificate, answer: SourceAnswer, at time: Date, problems: [String]) -> RevocationEvidence {
        RevocationEvidence(
            certificate: certificate.summary, status: answer.status, revocationTime: answer.revocationTime, reason: answer.reason,
            source: answer.source, location: answer.location, thisUpdate: answer.thisUpdate, nextUpdate: answer.nextUpdate,
            producedAt: answer.producedAt, responder: answer.responder, problems: problems, fetchedAt: answer.fetchedAt,
            timeOfInterest: time, revocationRequired: policy.requireRevocation, encoded: answer.encoded)
    }

    private func evidence(_ certificate: Certificate, status: RevocationEvidence.Status, at time: Date, problems: [String])
        -> RevocationEvidence
    {
        RevocationEvidence(
            certificate: certificate.summary, status: status, problems: problems, timeOfInterest: time,
            revocationRequired: policy.requireRevocation)
    }
}

/// The validation data an XAdES-LT signature carries, for ``RevocationChecker/check(chain:at:embedded:)``.
public struct EmbeddedRevocationData: Sendable {
    /// The CRLs of the signature's `RevocationValues`.
    let crls: [CRL]
    /// The OCSP responses of the signature's `RevocationValues` (whole OCSPResponse, DER).
    let ocspResponses: [[UInt8]]
    /// The signing time a timestamp (or the archive) proves; nil when it is only claimed — the
    /// embedded CRLs are then judged at now, like any other CRL, so a backdated claim gains nothing.
    let provenTime: Date?

    /// Reads the CRLs of `values`; one that cannot be read is left out and named in `problems`.
    public init(_ values: XAdESLongTermValues, provenTime: Date?) {
        var crls: [CRL] = []
        var problems: [String] = []
        for (index, der) in values.crls.enumerated() {
            do {
                crls += try CRL.parse(der, origin: "RevocationValues CRL \(index + 1)")
            } catch {
                problems.append("the embedded CRL \(index + 1) cannot be read: \(error)")
            }
        }
        _ = drainOpenSSLErrors()
        self.crls = crls
        self.ocspResponses = values.ocspResponses
        self.provenTime = provenTime
        self.problems = problems
    }

    /// Embedded values that could not be read.
    public let problems: [String]
}
