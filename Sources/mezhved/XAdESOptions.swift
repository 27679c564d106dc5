import ArgumentParser
import Foundation
import MezhvedValidation
import MezhvedXMLDSig

private typealias ValidationError = ArgumentParser.ValidationError

/// `--xades bes|t`, `--tsa URL`, `--tsa-timeout S`: the XAdES form of a signature made on the
/// command line, by `sign` and by `request new`, `answer new` and `receipt new` with `--key`.
struct XAdESOptions: ParsableArguments {
    @Option(help: "Add XAdES qualifying properties: bes (signing time, signing certificate) or t (bes plus a TSA timestamp).")
    var xades: String?

    @Option(help: "The RFC 3161 time-stamping authority's http:// URL (needed by --xades t).")
    var tsa: String?

    @Option(name: .customLong("tsa-timeout"), help: "Seconds to wait for the time-stamping authority (default 10).")
    var tsaTimeout: Int?

    var level: XAdESLevel? {
        switch xades {
        case "bes": return .bes
        case "t": return .t
        default: return nil
        }
    }

    var isGiven: Bool { xades != nil || tsa != nil || tsaTimeout != nil }

    func validate() throws {
        if let xades, level == nil { throw ValidationError("unknown --xades \(xades); give bes or t") }
        if level == .t && tsa == nil { throw ValidationError("--xades t needs --tsa URL: the signature timestamp comes from a TSA") }
        if tsa != nil && level != .t { throw ValidationError("--tsa is only used with --xades t") }
        if tsaTimeout != nil && tsa == nil { throw ValidationError("--tsa-timeout is only used with --tsa") }
        if let tsaTimeout, tsaTimeout < 1 || tsaTimeout > 600 { throw ValidationError("--tsa-timeout must be 1 to 600 seconds") }
        if let tsa, !(tsa.lowercased().hasPrefix("http://")) {
            throw ValidationError("--tsa \(tsa) is not an http:// URL (timestamps are signed, so plain HTTP is what RFC 3161 uses)")
        }
    }

    /// The time-stamping authority's client for `--xades t`.
    var timestamper: RFC3161Timestamper? {
        tsa.map { RFC3161Timestamper(url: $0, transport: OpenSSLHTTPTransport(timeout: .seconds(tsaTimeout ?? 10))) }
    }
}
