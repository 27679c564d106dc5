import Foundation
import MezhvedCore
import Yams

extension GatewayConfiguration {
    /// The largest configuration file read (a configuration is a few kilobytes).
    public static let maximumFileSize = 1 << 20

    /// Reads a configuration file (YAML or JSON). Every problem — an unknown key (with the nearest
    /// known one), a missing or mistyped value — is listed in one ``GatewayError``; paths are
    /// resolved against the file's folder. Files are not opened here: ``GatewaySetup`` checks them.
    public static func load(contentsOf path: String) throws -> GatewayConfiguration {
        let bytes: [UInt8]
        switch BoundedRead.contents(of: path, limit: maximumFileSize) {
        case .success(let read): bytes = read
        case .failure(let failure):
            let why: String
            switch failure {
            case .missing: why = "does not exist"
            case .folder: why = "is a folder, not a file"
            case .unreadable(let reason): why = "cannot be read: \(reason)"
            case .tooLarge(let limit): why = "is larger than \(limit / 1024) KiB, which no configuration is"
            }
            throw GatewayError(
                .configurationInvalid, "the gateway configuration \(path) \(why)",
                hint: "give the gateway configuration file (docs/gateway.md says what it holds)")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(bytes, source: path, baseFolder: folder)
    }

    /// Reads a configuration from its text; relative paths are resolved against `baseFolder`.
    public static func parse(_ bytes: [UInt8], source: String, baseFolder: String) throws -> GatewayConfiguration {
        let node: Node?
        do {
            node = try Yams.compose(yaml: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw GatewayError(
                .configurationInvalid, "the gateway configuration \(source) is not valid YAML or JSON: \(error)",
                hint: "check the indentation, colons and quotes")
        }
        var reader = ConfigurationReader(baseFolder: baseFolder)
        let configuration = reader.configuration(node, source: source)
        guard let configuration, reader.problems.isEmpty else {
            throw GatewayError(
                .configurationInvalid, "the gateway configuration \(source) has \(reader.problems.count) problem(s)",
                hint: "correct the keys named below (docs/gateway.md lists them all)", problems: reader.problems)
        }
        return configuration
    }
}

/// Walks the configuration's YAML tree, collecting every problem instead of stopping at the first.
struct ConfigurationReader {
    let baseFolder: String
    var problems: [String] = []

    init(baseFolder: String) { self.baseFolder = baseFolder }

    mutating func configuration(_ node: Node?, source: String) -> GatewayConfiguration? {
        guard let root = node?.mapping else {
            problems.append("the file is not a mapping of keys (agency:, archive:, signatories:, trust:, …)")
            return nil
        }
        checkKeys(
            root, at: "", known: ["agency", "archive", "signatories", "receiptSignatory", "trust", "policy", "documents", "exchange"])
        let agency = text(root, "agency", at: "", required: true) ?? ""
        let archive = archiveSettings(root["archive"])
        var signatories: [GatewayConfiguration.SignatorySettings] = []
        if let list = root["signatories"] {
            if let sequence = list.sequence {
                for (index, item) in sequence.enumerated() {
                    if let signatory = signatorySettings(item, at: "signatories[\(index)]") { signatories.append(signatory) }
                }
            } else {
                problems.append("signatories: must be a list of {id, key, certificate, chain?, passphraseFile?}")
            }
        } else {
            problems.append("signatories: is required (the people who sign for \(agency.isEmpty ? "the agency" : agency))")
        }
        if signatories.isEmpty && root["signatories"]?.sequence != nil {
            problems.append("signatories: lists nobody; at least one signatory signs outgoing documents and receipts")
        }
        let ids = root["signatories"]?.sequence?.compactMap { $0.mapping?["id"]?.scalar?.string } ?? []
        for id in Set(ids).sorted() where ids.filter({ $0 == id }).count > 1 {
            problems.append("signatories: the id \(id) is used twice")
        }
        let receiptSignatory = text(root, "receiptSignatory", at: "", required: false)
        if let receiptSignatory, !ids.contains(receiptSignatory) {
            problems.append(
                "receiptSignatory: \(receiptSignatory) is not one of the signatories (\(ids.joined(separator: ", ")))"
                    + (NearestName.suggestion(for: receiptSignatory, among: ids).map { " — did you mean \($0)?" } ?? ""))
        }
        // Receipts are signed unattended, the moment a document arrives: by a key unlocked at start.
        if let signing = receiptSignatory.flatMap({ id in signatories.first { $0.id == id } }) ?? signatories.first,
            signing.unlock == .perSigning
        {
            problems.append(
                "receiptSignatory: \(signing.id) unlocks the key per signing, but receipts are signed unattended as documents arrive; "
                    + "name a signatory whose key is unlocked at start"
                    + (receiptSignatory == nil ? " (the first signatory signs receipts unless receiptSignatory names another)" : ""))
        }
        let trust = trustSettings(root["trust"])
        let policy = policySettings(root["policy"])
        let documents = documentSettings(root["documents"])
        let exchange = exchangeSettings(root["exchange"], agency: agency, postgres: archive?.store == "postgres")
        guard let archive, let trust else { return nil }
        return GatewayConfiguration(
            agency: agency, archive: archive, signatories: signatories, receiptSignatory: receiptSignatory, trust: trust,
            policy: policy, documents: documents, exchange: exchange, source: source)
    }

    mutating func archiveSettings(_ node: Node?) -> GatewayConfiguration.ArchiveSettings? {
        guard let map = section(node, "archive", required: true) else { return nil }
        checkKeys(
            map, at: "archive.",
            known: [
                "path", "dataKey", "gatewayKey", "gatewayCertificate", "witness", "personKey", "store", "url", "passwordFile",
                "connections",
            ])
        let store = text(map, "store", at: "archive.", required: false) ?? "filesystem"
        guard store == "filesystem" || store == "postgres" else {
            problems.append("archive.store: \(store) is not a store (filesystem or postgres)")
            return nil
        }
        let postgres = store == "postgres"
        let path = self.path(map, "path", at: "archive.", required: !postgres)
        let dataKey = self.path(map, "dataKey", at: "archive.", required: true)
        let url = postgres ? text(map, "url", at: "archive.", required: true) : nil
        let passwordFile = postgres ? self.path(map, "passwordFile", at: "archive.") : nil
        if !postgres, map["url"] != nil || map["passwordFile"] != nil || map["connections"] != nil {
            problems.append("archive.url, archive.passwordFile, archive.connections: only for store: postgres")
        }
        let connections = postgres ? integer(map, "connections", at: "archive.") : nil
        if let connections, !(1...1000).contains(connections) {
            problems.append("archive.connections: \(connections) is not between 1 and 1000 (the most connections a node opens)")
        }
        if postgres, url?.contains("@") == true, let url, let scheme = url.range(of: "://"),
            url[scheme.upperBound...].prefix(while: { $0 != "@" }).contains(":")
        {
            problems.append("archive.url: carries a password; put it in the file named by archive.passwordFile (mode 0600)")
        }
        guard let dataKey, postgres ? url != nil : path != nil else { return nil }
        var settings = GatewayConfiguration.ArchiveSettings(
            path: path ?? "", dataKey: dataKey, gatewayKey: self.path(map, "gatewayKey", at: "archive."),
            gatewayCertificate: self.path(map, "gatewayCertificate", at: "archive."), witness: self.path(map, "witness", at: "archive."),
            personKey: self.path(map, "personKey", at: "archive."))
        settings.store = store
        settings.url = url
        settings.passwordFile = passwordFile
        settings.connections = connections
        return settings
    }

    mutating func signatorySettings(_ node: Node, at place: String) -> GatewayConfiguration.SignatorySettings? {
        guard let map = node.mapping else {
            problems.append("\(place): must be a mapping {id, key, certificate, chain?, passphraseFile?, unlock?}")
            return nil
        }
        checkKeys(map, at: place + ".", known: ["id", "key", "certificate", "chain", "passphraseFile", "passphraseEnvironment", "unlock"])
        let id = text(map, "id", at: place + ".", required: true)
        let key = path(map, "key", at: place + ".", required: true)
        let certificate = path(map, "certificate", at: place + ".", required: true)
        let passphraseFile = path(map, "passphraseFile", at: place + ".")
        let passphraseEnvironment = text(map, "passphraseEnvironment", at: place + ".", required: false)
        if passphraseFile != nil && passphraseEnvironment != nil {
            problems.append("\(place): give passphraseFile or passphraseEnvironment, not both")
        }
        var unlock = GatewayConfiguration.KeyUnlock.atStart
        if let given = text(map, "unlock", at: place + ".", required: false) {
            if let known = GatewayConfiguration.KeyUnlock(rawValue: given) {
                unlock = known
            } else {
                problems.append(
                    "\(place).unlock: \(given) is not at-start or per-signing"
                        + (NearestName.suggestion(for: given, among: GatewayConfiguration.KeyUnlock.allCases.map(\.rawValue))
                            .map { " — did you mean \($0)?" } ?? ""))
            }
        }
        if unlock == .perSigning && (passphraseFile != nil || passphraseEnvironment != nil) {
            problems.append(
                "\(place): a key unlocked per signing takes its passphrase from the person signing; remove passphraseFile and passphraseEnvironment"
            )
        }
        guard let id, let key, let certificate else { return nil }
        return GatewayConfiguration.SignatorySettings(
            id: id, key: key, certificate: certificate, chain: path(map, "chain", at: place + "."), passphraseFile: passphraseFile,
            passphraseEnvironment: passphraseEnvironment, unlock: unlock)
    }

    mutating func trustSettings(_ node: Node?) -> GatewayConfiguration.TrustSettings? {
        guard let map = section(node, "trust", required: true) else { return nil }
        checkKeys(map, at: "trust.", known: ["anchors", "intermediates", "crls"])
        let anchors = paths(map, "anchors", at: "trust.")
        if anchors.isEmpty { problems.append("trust.anchors: give at least one folder of trusted CA certificates") }
        return GatewayConfiguration.TrustSettings(
            anchors: anchors, intermediates: paths(map, "intermediates", at: "trust."), crls: paths(map, "crls", at: "trust."))
    }

    mutating func policySettings(_ node: Node?) -> GatewayConfiguration.PolicySettings {
        var policy = GatewayConfiguration.PolicySettings()
        guard let map = section(node, "policy", required: false) else { return policy }
        checkKeys(
            map, at: "policy.",
            known: [
                "signatureForm", "tsa", "networkTimeout", "offline", "requireRevocation", "requireQualified", "ocspResponder", "crlCache",
                "allowLegacyAlgorithms", "httpsTrust",
            ])
        policy.httpsTrust = paths(map, "httpsTrust", at: "policy.")
        if let form = text(map, "signatureForm", at: "policy.", required: false) {
            if let value = GatewayConfiguration.SignatureForm(rawValue: form) {
                policy.signatureForm = value
            } else {
                problems.append(
                    "policy.signatureForm: \(form) is not one of \(GatewayConfiguration.SignatureForm.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
        }
        policy.tsa = url(map, "tsa", at: "policy.", allowingHTTPS: !policy.httpsTrust.isEmpty)
        policy.ocspResponder = url(map, "ocspResponder", at: "policy.", allowingHTTPS: !policy.httpsTrust.isEmpty)
        if policy.signatureForm.needsTSA && policy.tsa == nil {
            problems.append("policy.tsa: signatureForm \(policy.signatureForm.rawValue) needs the time-stamping authority's URL")
        }
        if let timeout = integer(map, "networkTimeout", at: "policy.") {
            if (1...600).contains(timeout) {
                policy.networkTimeout = timeout
            } else {
                problems.append("policy.networkTimeout: \(timeout) is not 1 to 600 seconds")
            }
        }
        policy.offline = flag(map, "offline", at: "policy.") ?? policy.offline
        policy.requireRevocation = flag(map, "requireRevocation", at: "policy.") ?? policy.requireRevocation
        policy.requireQualified = flag(map, "requireQualified", at: "policy.") ?? policy.requireQualified
        policy.allowLegacyAlgorithms = flag(map, "allowLegacyAlgorithms", at: "policy.") ?? policy.allowLegacyAlgorithms
        policy.crlCache = path(map, "crlCache", at: "policy.")
        return policy
    }

    mutating func documentSettings(_ node: Node?) -> GatewayConfiguration.DocumentSettings {
        var settings = GatewayConfiguration.DocumentSettings()
        guard let map = section(node, "documents", required: false) else { return settings }
        checkKeys(map, at: "documents.", known: ["directory", "regulations", "calendar", "calendarFallback"])
        settings.directory = path(map, "directory", at: "documents.")
        settings.regulations = path(map, "regulations", at: "documents.")
        settings.calendar = path(map, "calendar", at: "documents.")
        if settings.regulations != nil && settings.directory == nil {
            problems.append("documents.regulations: goes with documents.directory")
        }
        if let fallback = text(map, "calendarFallback", at: "documents.", required: false) {
            if fallback == "none" || fallback == "labour-code" {
                settings.calendarFallback = fallback
            } else {
                problems.append("documents.calendarFallback: \(fallback) is not none or labour-code")
            }
        }
        return settings
    }

    // MARK: - Values

    mutating func section(_ node: Node?, _ name: String, required: Bool) -> Node.Mapping? {
        guard let node else {
            if required { problems.append("\(name): is required") }
            return nil
        }
        guard let map = node.mapping else {
            problems.append("\(name): must be a mapping of keys")
            return nil
        }
        return map
    }

    mutating func checkKeys(_ map: Node.Mapping, at place: String, known: [String]) {
        for key in map.keys {
            let name = key.string ?? "\(key)"
            guard !known.contains(name) else { continue }
            let suggestion = NearestName.suggestion(for: name, among: known)
            problems.append(
                "\(place)\(name): is not a known key"
                    + (suggestion.map { " — did you mean \(place)\($0)?" } ?? " (known here: \(known.joined(separator: ", ")))"))
        }
    }

    mutating func text(_ map: Node.Mapping, _ key: String, at place: String, required: Bool) -> String? {
        guard let node = map[key] else {
            if required { problems.append("\(place)\(key): is required") }
            return nil
        }
        guard let scalar = node.scalar, !scalar.string.isEmpty else {
            problems.append("\(place)\(key): must be a non-empty text value")
            return nil
        }
        return scalar.string
    }

    mutating func path(_ map: Node.Mapping, _ key: String, at place: String, required: Bool = false) -> String? {
        text(map, key, at: place, required: required).map(resolve)
    }

    mutating func paths(_ map: Node.Mapping, _ key: String, at place: String) -> [String] {
        guard let node = map[key] else { return [] }
        if let scalar = node.scalar { return [resolve(scalar.string)] }
        guard let sequence = node.sequence else {
            problems.append("\(place)\(key): must be a path or a list of paths")
            return []
        }
        return sequence.compactMap { item in
            guard let text = item.scalar?.string, !text.isEmpty else {
                problems.append("\(place)\(key): every entry must be a path")
                return nil
            }
            return resolve(text)
        }
    }

    mutating func url(_ map: Node.Mapping, _ key: String, at place: String, allowingHTTPS: Bool = false) -> String? {
        guard let value = text(map, key, at: place, required: false) else { return nil }
        let scheme = value.lowercased()
        guard scheme.hasPrefix("http://") || (allowingHTTPS && scheme.hasPrefix("https://")), URL(string: value)?.host != nil else {
            problems.append(
                "\(place)\(key): \(value) is not an http:// URL"
                    + (scheme.hasPrefix("https://") ? " (https:// needs policy.httpsTrust, the CAs of its TLS server)" : ""))
            return nil
        }
        return value
    }

    mutating func flag(_ map: Node.Mapping, _ key: String, at place: String) -> Bool? {
        guard let value = text(map, key, at: place, required: false) else { return nil }
        switch value.lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default:
            problems.append("\(place)\(key): \(value) is not true or false")
            return nil
        }
    }

    mutating func integer(_ map: Node.Mapping, _ key: String, at place: String) -> Int? {
        guard let value = text(map, key, at: place, required: false) else { return nil }
        guard let number = Int(value) else {
            problems.append("\(place)\(key): \(value) is not a whole number")
            return nil
        }
        return number
    }

    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] { return home + path.dropFirst(1) }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: baseFolder, isDirectory: true)).standardizedFileURL.path
    }
}
