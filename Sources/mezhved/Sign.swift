import ArgumentParser
import Foundation
import MezhvedCore
import MezhvedGateway
import MezhvedValidation
import MezhvedXMLDSig

private typealias ValidationError = ArgumentParser.ValidationError

struct Sign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Adds an enveloped XML signature to a document.",
        discussion: """
            The signature covers the whole document (URI="") unless --reference-id names one element. \
            The algorithm follows the key: GOST R 34.10-2012 256/512 with Streebog, RSA with SHA-256, \
            ECDSA with the digest that fits the curve. An encrypted key's passphrase is read from an \
            environment variable (--passphrase-env) or a file (--passphrase-file), never from the command line. \
            --xades bes adds XAdES-BES signed properties (signing time, signing certificate); --xades t also \
            gets an RFC 3161 signature timestamp from the TSA at --tsa (exit 10 when it cannot be had; nothing \
            is written then).
            """)

    @Argument(help: "The XML document(s) to sign, or - for standard input. Several documents need --output-dir.")
    var files: [String] = []

    @Option(
        name: .customLong("files-from"),
        help: "A file naming more documents, one path per line (- for standard input): for batches too long for a command line.")
    var filesFrom: String?

    @Option(help: "The signer's private key (PEM, PKCS#8 or traditional; may be encrypted).")
    var key: String

    @Option(help: "The signer's certificate (PEM or DER).")
    var cert: String

    @Option(help: "A PEM file of intermediate CA certificates to include in KeyInfo.")
    var chain: String?

    @Option(name: .customLong("reference-id"), help: "Sign only the element with this Id attribute.")
    var referenceID: String?

    @Option(name: .shortAndLong, help: "Where to write the signed document (default: standard output). Written 0600.")
    var output: String?

    @Option(
        name: .customLong("output-dir"),
        help: "Batch mode: sign every document given into this folder, under the same file names, using all cores.")
    var outputDir: String?

    @Option(help: "Signature algorithm URI, to override the one that follows the key.")
    var algorithm: String?

    @Option(help: "Digest algorithm URI for the reference (default: the signature algorithm's).")
    var digest: String?

    @Option(help: "Canonicalization: exc (default), exc-with-comments, c14n, c14n11.")
    var c14n: String = "exc"

    @Flag(help: "Add the SMEV 3 transform (urn://smev-gov-ru/xmldsig/transform) to the reference.")
    var smev = false

    @Option(name: .customLong("passphrase-env"), help: "Name of an environment variable holding the key's passphrase.")
    var passphraseEnv: String?

    @Option(name: .customLong("passphrase-file"), help: "A file holding the key's passphrase (its first line).")
    var passphraseFile: String?

    @OptionGroup var xadesOptions: XAdESOptions

    mutating func validate() throws {
        if let filesFrom { files += try readFileList(filesFrom, option: "--files-from") }
        if files.isEmpty { throw ValidationError("give the document(s) to sign") }
        if output != nil && outputDir != nil { throw ValidationError("give either -o (one document) or --output-dir (a batch), not both") }
        if files.count > 1 && outputDir == nil {
            throw ValidationError("signing \(files.count) documents needs --output-dir DIR (each is written there under its own name)")
        }
        if outputDir != nil && files.contains("-") { throw ValidationError("standard input (-) cannot be part of a batch") }
        if let outputDir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: outputDir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--output-dir \(outputDir) is not an existing folder")
            }
            let target = URL(fileURLWithPath: outputDir).standardizedFileURL.resolvingSymlinksInPath().path
            for file in files
            where URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.resolvingSymlinksInPath().path == target {
                throw ValidationError("\(file) is already in --output-dir \(outputDir): signing it there would overwrite the original")
            }
            let names = files.map { ($0 as NSString).lastPathComponent }
            if Set(names).count != names.count { throw ValidationError("two documents of the batch have the same file name") }
        }
        if passphraseEnv != nil && passphraseFile != nil {
            throw ValidationError("give the passphrase either with --passphrase-env or with --passphrase-file, not both")
        }
        if let algorithm, SignatureAlgorithm(rawValue: algorithm) == nil {
            throw ValidationError(
                "unknown --algorithm \(algorithm); give one of:\n  " + SignatureAlgorithm.allCases.map(\.uri).joined(separator: "\n  "))
        }
        if let digest, DigestAlgorithm(rawValue: digest) == nil {
            throw ValidationError(
                "unknown --digest \(digest); give one of:\n  " + DigestAlgorithm.allCases.map(\.uri).joined(separator: "\n  "))
        }
        if canonicalization == nil {
            throw ValidationError("unknown --c14n \(c14n); give exc, exc-with-comments, c14n or c14n11")
        }
        if let passphraseEnv, ProcessInfo.processInfo.environment[passphraseEnv] == nil {
            throw ValidationError("the environment variable \(passphraseEnv) named by --passphrase-env is not set")
        }
    }

    var canonicalization: CanonicalizationAlgorithm? {
        switch c14n {
        case "exc": return .exclusive
        case "exc-with-comments": return .exclusiveWithComments
        case "c14n": return .c14n10
        case "c14n11": return .c14n11
        default: return nil
        }
    }

    func run() async throws {
        let signatory = try Signatory.load(
            GatewayConfiguration.SignatorySettings(
                id: "--key \(key)", key: key, certificate: cert, chain: chain, passphraseFile: passphraseFile,
                passphraseEnvironment: passphraseEnv))
        let signer = try signatory.signer()
        let certificates = [signatory.certificate]
        let now = Date()
        if certificates[0].notAfter < now || certificates[0].notBefore > now {
            Output.warning(
                "the certificate \(cert) is not valid now (valid \(ISOTime.string(certificates[0].notBefore)) to "
                    + "\(ISOTime.string(certificates[0].notAfter))): verifiers will not accept this signature")
        }
        let options = SigningOptions(
            referenceID: referenceID, signatureAlgorithm: algorithm.flatMap(SignatureAlgorithm.init(rawValue:)),
            digestAlgorithm: digest.flatMap(DigestAlgorithm.init(rawValue:)), canonicalization: canonicalization!,
            smevTransform: smev, xades: xadesOptions.level, timestamper: xadesOptions.timestamper)
        guard let outputDir else {
            let (bytes, name) = try readInput(files[0])
            let signed: [UInt8]
            do {
                signed = try await xadesOptions.extendIfAsked(
                    try await signer.signAwaitingTimestamp(bytes, sourceName: name, options: options), sourceName: name)
            } catch let error as MezhvedValidation.ValidationError {
                Output.error("\(name) was not signed: \(error.description)")
                throw ExitCode.serviceUnavailable
            }
            if let output {
                try writeOutput(signed, to: output)
            } else {
                FileHandle.standardOutput.write(Data(signed))
            }
            return
        }
        // Batch: every document is signed and written on its own; one failure does not stop the rest.
        // A few documents per core are in flight (XAdES-T waits on the TSA); files are read and
        // written off the cooperative pool.
        let inputs = files
        let width = (xadesOptions.level == .t ? 4 : 1) * ProcessInfo.processInfo.activeProcessorCount
        let failures: [(message: String, code: ExitCode)?] = await boundedTaskMap(inputs.count, width: width) { index in
            do {
                let (bytes, name) = try await offThePool { try readInput(inputs[index]) }
                let signed = try await xadesOptions.extendIfAsked(
                    try await signer.signAwaitingTimestamp(bytes, sourceName: name, options: options), sourceName: name)
                let target = (outputDir as NSString).appendingPathComponent((inputs[index] as NSString).lastPathComponent)
                try await offThePool { try writeOutput(signed, to: target) }
                return nil
            } catch let error as XMLDSigError {
                return (error.description, ExitCode.forError(error))
            } catch let error as MezhvedValidation.ValidationError {
                return ("\(inputs[index]) was not signed: \(error.description)", ExitCode.serviceUnavailable)
            } catch {
                return ("\(inputs[index]): \(error)", ExitCode.internalFailure)
            }
        }
        var worst = ExitCode.success
        for failure in failures.compactMap({ $0 }) {
            Output.error(failure.message)
            if failure.code.rawValue > worst.rawValue { worst = failure.code }
        }
        let failed = failures.compactMap { $0 }.count
        FileHandle.standardError.write(
            Data("mezhved: signed \(inputs.count - failed) of \(inputs.count) documents into \(outputDir)\n".utf8))
        if worst != .success { throw worst }
    }
}
