import ArgumentParser
import Foundation
import MezhvedXMLDSig

/// In-process throughput of signing and verifying, beside the raw OpenSSL operation for the same
/// key in the same run. Figures and the machine go into docs/benchmarks.md.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measures signing and verifying throughput beside raw OpenSSL (see docs/benchmarks.md).",
        discussion: """
            For each key type: documents signed and verified per second on one core (bytes in, parse, \
            canonicalize, digest, sign or verify with path validation, bytes out), and the raw OpenSSL \
            signature operation over the same SignedInfo with the same key, as the reference. The \
            subcommands make and verify the documents of the exchange load benchmark (scripts/bench-serve.sh).
            """,
        subcommands: [BenchExchangeCorpus.self, BenchExchangeVerify.self, BenchExchangeReceive.self])

    @Option(help: "The test PKI folder.")
    var certificates: String = "Certificates"

    @Option(help: "The document to sign (default: a ~4 KB agency request).")
    var document: String?

    @Option(help: "Seconds to spend on each measurement.")
    var seconds: Double = 2

    @Option(help: "Key types to measure: gost256, gost512, rsa, ecdsa (comma-separated).")
    var keys: String = "gost256,gost512,rsa,ecdsa"

    @Flag(help: "Print a Markdown table.")
    var markdown = false

    struct KeySpec {
        let name: String
        let key: String
        let cert: String
        let chain: String?
        let trust: String
    }

    func specs() -> [KeySpec] {
        let c = certificates
        let all = [
            KeySpec(
                name: "gost256", key: "\(c)/agencies/social-protection/key.pem", cert: "\(c)/agencies/social-protection/cert.pem",
                chain: "\(c)/gost/ca.pem", trust: "\(c)/trust/gost"),
            KeySpec(
                name: "gost512", key: "\(c)/agencies/health/key.pem", cert: "\(c)/agencies/health/cert.pem",
                chain: "\(c)/gost/ca.pem", trust: "\(c)/trust/gost"),
            KeySpec(name: "rsa", key: "\(c)/rsa/signer.key.pem", cert: "\(c)/rsa/signer.pem", chain: nil, trust: "\(c)/trust/rsa"),
            KeySpec(name: "ecdsa", key: "\(c)/ecdsa/signer.key.pem", cert: "\(c)/ecdsa/signer.pem", chain: nil, trust: "\(c)/trust/ecdsa"),
        ]
        let wanted = Set(keys.split(separator: ",").map(String.init))
        return all.filter { wanted.contains($0.name) }
    }

    func validate() throws {
        if seconds <= 0 { throw ValidationError("--seconds must be positive") }
        let known: Set<String> = ["gost256", "gost512", "rsa", "ecdsa"]
        for k in keys.split(separator: ",") where !known.contains(String(k)) {
            throw ValidationError("unknown key type \(k) in --keys; give gost256, gost512, rsa or ecdsa")
        }
    }

    /// The test keys are looked for when the benchmark runs, not when a subcommand does.
    func checkTestKeys() throws {
        for spec in specs() where !FileManager.default.fileExists(atPath: spec.key) {
            throw ValidationError(
                "the bench's \(spec.name) test key \(spec.key) is not there: give --certificates with the folder of mezhved's test PKI "
                    + "(Certificates/ of the source tree), or run from the source tree's root")
        }
    }

    /// Runs `body` repeatedly for about `seconds` and returns operations per second.
    func rate(_ body: () throws -> Void) rethrows -> Double {
        try body()  // warm-up
        let clock = ContinuousClock()
        let start = clock.now
        let budget = Duration.milliseconds(Int64(seconds * 1000))
        var count = 0
        while clock.now - start < budget {
            for _ in 0..<8 { try body() }
            count += 8
        }
        let elapsed = clock.now - start
        let secondsElapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(count) / secondsElapsed
    }

    /// The rates of `first` and `second` measured in alternating slices of 50 ms, about `seconds`
    /// each: a change in the machine's speed or load during the run then weighs on both alike,
    /// and their ratio is steadier than with two measurements one after the other.
    func interleavedRates(_ first: () throws -> Void, _ second: () throws -> Void) rethrows -> (Double, Double) {
        try first()  // warm-up
        try second()
        let clock = ContinuousClock()
        let slice = Duration.milliseconds(50)
        var counts = [0, 0]
        var spent: [Duration] = [.zero, .zero]
        let budget = Duration.milliseconds(Int64(seconds * 1000))
        while spent[0] < budget || spent[1] < budget {
            for index in 0..<2 where spent[index] < budget {
                let start = clock.now
                repeat {
                    try index == 0 ? first() : second()
                    counts[index] += 1
                } while clock.now - start < slice
                spent[index] += clock.now - start
            }
        }
        func perSecond(_ count: Int, _ duration: Duration) -> Double {
            Double(count) / (Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        }
        return (perSecond(counts[0], spent[0]), perSecond(counts[1], spent[1]))
    }

    func run() throws {
        try checkTestKeys()
        let document = try self.document.map { try readInput($0).bytes } ?? Self.sampleRequest
        var rows: [[String]] = []
        for spec in specs() {
            let key = try SigningKey.load(contentsOf: spec.key)
            let certificate = try Certificate.load(contentsOf: spec.cert)[0]
            let chain = try spec.chain.map { try Certificate.load(contentsOf: $0) } ?? []
            let signer = try XMLSigner(key: key, certificate: certificate, chain: chain)
            let verifier = SignatureVerifier(
                trustStore: try TrustStore(directories: [spec.trust]), policy: VerificationPolicy(retainSignedContent: false))
            let signed = try signer.sign(document, sourceName: "bench")
            guard try verifier.verify(signed, sourceName: "bench").isValid else {
                throw ValidationError("the benchmark's own signature did not verify for \(spec.name)")
            }
            let algorithm = SignatureAlgorithm.default(for: key.family, bits: key.bits)
            // The raw reference: the same key signing and verifying a SignedInfo-sized message.
            let signedInfo = try XMLCanonicalization.canonicalize(
                Array(Self.extractSignedInfo(signed).utf8), sourceName: "SignedInfo", algorithm: .exclusive)
            let rawSignature = try key.sign(signedInfo, algorithm: algorithm)

            let (signRate, rawSignRate) = try interleavedRates(
                { _ = try signer.sign(document, sourceName: "bench") }, { _ = try key.sign(signedInfo, algorithm: algorithm) })
            let (verifyRate, rawVerifyRate) = try interleavedRates(
                { _ = try verifier.verify(signed, sourceName: "bench") },
                { _ = certificate.verifySignature(rawSignature, over: signedInfo, algorithm: algorithm) })
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let parallelVerifyRate = try parallelRate(threads: cores) { _ = try verifier.verify(signed, sourceName: "bench") }
            rows.append([
                spec.name, "\(document.count)", format(signRate), format(rawSignRate), percent(signRate / rawSignRate),
                format(verifyRate), format(rawVerifyRate), percent(verifyRate / rawVerifyRate), format(parallelVerifyRate),
                String(format: "%.2f×", parallelVerifyRate / verifyRate),
            ])
        }
        let c14nRate = try canonicalizationThroughput()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let header = [
            "key", "doc bytes", "sign/s", "raw sign/s", "sign/raw", "verify/s", "raw verify/s", "verify/raw", "verify/s \(cores) cores",
            "scaling",
        ]
        if markdown {
            print("| " + header.joined(separator: " | ") + " |")
            print("|" + header.map { _ in "---" }.joined(separator: "|") + "|")
            for row in rows { print("| " + row.joined(separator: " | ") + " |") }
            print("\nexclusive canonicalization of a 1 MB document: \(String(format: "%.1f", c14nRate)) MB/s")
        } else {
            let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(
                    separator: "  ")
            }
            print(line(header))
            for row in rows { print(line(row)) }
            print("exclusive canonicalization of a 1 MB document: \(String(format: "%.1f", c14nRate)) MB/s")
        }
    }

    /// Runs `body` on `threads` threads at once for about `seconds` and returns the operations per
    /// second of all of them together.
    func parallelRate(threads: Int, _ body: @escaping @Sendable () throws -> Void) throws -> Double {
        try body()
        let budget = Duration.milliseconds(Int64(seconds * 1000))
        let counts = parallelMap(threads) { _ -> Int in
            let clock = ContinuousClock()
            let start = clock.now
            var count = 0
            while clock.now - start < budget {
                for _ in 0..<8 { try? body() }
                count += 8
            }
            return count
        }
        return Double(counts.reduce(0, +)) / seconds
    }

    func canonicalizationThroughput() throws -> Double {
        var xml = "<list xmlns=\"urn:bench\" xmlns:x=\"urn:x\">"
        var i = 0
        while xml.utf8.count < 1_000_000 {
            xml += "<item n=\"\(i)\" x:k=\"v\">Запись номер \(i) &amp; текст</item>\n"
            i += 1
        }
        xml += "</list>"
        let bytes = Array(xml.utf8)
        let perSecond = try rate { _ = try XMLCanonicalization.canonicalize(bytes, sourceName: "bench", algorithm: .exclusive) }
        return perSecond * Double(bytes.count) / 1_000_000
    }

    func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.1f", value)
    }

    func percent(_ ratio: Double) -> String { String(format: "%.0f%%", ratio * 100) }

    static func extractSignedInfo(_ signed: [UInt8]) -> String {
        let text = String(decoding: signed, as: UTF8.self)
        guard let start = text.range(of: "<ds:SignedInfo>"), let end = text.range(of: "</ds:SignedInfo>") else { return "<x/>" }
        return "<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">" + text[start.upperBound..<end.lowerBound]
            + "</ds:SignedInfo>"
    }

    /// A ~4 KB interagency request like the ones the gateway carries.
    static let sampleRequest: [UInt8] = {
        var items = ""
        for i in 1...12 {
            items +=
                "    <r:Item n=\"\(i)\"><r:Name>Сведения о получаемых мерах социальной поддержки, пункт \(i)</r:Name><r:Basis>п. 2.2.7 Порядка</r:Basis></r:Item>\n"
        }
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <r:Request xmlns:r="urn:mezhved:bench:request" Id="request">
              <r:Sender>Комитет по социальной защите населения Ленинградской области</r:Sender>
              <r:Recipient>Комитет по труду и занятости населения Ленинградской области</r:Recipient>
              <r:Registration number="01-12/000345" date="2026-03-02"/>
              <r:Deadline>2026-03-16</r:Deadline>
              <r:Compiler name="Иванова Мария Петровна" phone="+7 812 000-00-00"/>
              <r:Items>
            \(items)  </r:Items>
              <r:PersonalData><r:Name>Петров Пётр Петрович</r:Name><r:BirthDate>1980-01-01</r:BirthDate><r:Snils>112-233-445 95</r:Snils></r:PersonalData>
            </r:Request>
            """
        return Array(text.utf8)
    }()
}
