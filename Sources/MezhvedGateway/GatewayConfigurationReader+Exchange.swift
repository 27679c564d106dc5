import Foundation
import MezhvedCore
import Yams

/// The `exchange:` section (docs/gateway.md, docs/exchange-protocol.md).
extension ConfigurationReader {
    mutating func exchangeSettings(_ node: Node?, agency: String, postgres: Bool) -> GatewayConfiguration.ExchangeSettings? {
        guard let map = section(node, "exchange", required: false) else { return nil }
        let place = "exchange."
        checkKeys(
            map, at: place,
            known: [
                "listen", "tls", "maxDocumentSize", "requestTimeout", "spool", "accessTokens", "webUsers", "peers", "delivery",
                "gossipInterval",
            ])
        var listen: GatewayConfiguration.ListenAddress?
        if let text = text(map, "listen", at: place, required: true) {
            listen = GatewayConfiguration.ListenAddress(text)
            if listen == nil { problems.append("exchange.listen: \(text) is not host:port (for example 127.0.0.1:8441 or 0.0.0.0:443)") }
        }
        var tls: GatewayConfiguration.TLSIdentity?
        if let tlsMap = section(map["tls"], "exchange.tls", required: false) {
            checkKeys(tlsMap, at: "exchange.tls.", known: ["certificate", "key"])
            let certificate = path(tlsMap, "certificate", at: "exchange.tls.", required: true)
            let key = path(tlsMap, "key", at: "exchange.tls.", required: true)
            if let certificate, let key { tls = GatewayConfiguration.TLSIdentity(certificate: certificate, key: key) }
        }
        if let listen, tls == nil, map["tls"] == nil, !listen.isLoopback {
            problems.append(
                "exchange.tls: is required when listening on \(listen) — plain HTTP is accepted on a loopback address (127.0.0.1) only")
        }
        let maxDocumentSize = size(map, "maxDocumentSize", at: place, range: 1024...(1 << 30)) ?? 64 << 20
        let requestTimeout = seconds(map, "requestTimeout", at: place, range: 1...3600) ?? 120
        let spool = path(map, "spool", at: place, required: true)
        let accessTokens = credentialsPlace(map, "accessTokens", at: place, postgres: postgres)
        let webUsers = credentialsPlace(map, "webUsers", at: place, postgres: postgres)
        var peers: [GatewayConfiguration.PeerSettings] = []
        if let list = map["peers"] {
            if let sequence = list.sequence {
                for (index, item) in sequence.enumerated() {
                    if let peer = peerSettings(item, at: "exchange.peers[\(index)]", agency: agency, plain: tls == nil) {
                        peers.append(peer)
                    }
                }
            } else {
                problems.append("exchange.peers: must be a list of {agency, url?, pull?, tlsCertificate, gatewayCertificate?}")
            }
        }
        let agencies = peers.map(\.agency)
        for id in Set(agencies).sorted() where agencies.filter({ $0 == id }).count > 1 {
            problems.append("exchange.peers: the agency \(id) is listed twice")
        }
        let delivery = deliverySettings(map["delivery"])
        let gossipInterval = seconds(map, "gossipInterval", at: place, range: 1...86400) ?? 30
        guard let listen, let spool else { return nil }
        return GatewayConfiguration.ExchangeSettings(
            listen: listen, tls: tls, maxDocumentSize: maxDocumentSize, requestTimeout: requestTimeout, spool: spool,
            accessTokens: accessTokens, webUsers: webUsers, peers: peers, delivery: delivery, gossipInterval: gossipInterval)
    }

    /// `PATH` or `archive` (the archive's store, which only `archive.store: postgres` has).
    mutating func credentialsPlace(_ map: Node.Mapping, _ key: String, at place: String, postgres: Bool)
        -> GatewayConfiguration.CredentialsPlace?
    {
        guard let value = text(map, key, at: place, required: false) else { return nil }
        guard value == "archive" else { return .file(resolve(value)) }
        guard postgres else {
            problems.append(
                "\(place)\(key): archive keeps them in the archive's PostgreSQL store, and this archive is a folder (archive.store: filesystem); give a file path (write ./archive for a file of that name)"
            )
            return nil
        }
        return .archive
    }

    mutating func peerSettings(_ node: Node, at place: String, agency: String, plain: Bool) -> GatewayConfiguration.PeerSettings? {
        guard let map = node.mapping else {
            problems.append("\(place): must be a mapping {agency, url?, pull?, tlsCertificate, gatewayCertificate?}")
            return nil
        }
        let at = place + "."
        checkKeys(map, at: at, known: ["agency", "url", "pull", "tlsCertificate", "gatewayCertificate"])
        guard let peerAgency = text(map, "agency", at: at, required: true) else { return nil }
        if peerAgency == agency { problems.append("\(at)agency: \(peerAgency) is this gateway's own agency") }
        var url: String?
        if let value = text(map, "url", at: at, required: false) {
            let parsed = URL(string: value)
            let scheme = parsed?.scheme?.lowercased()
            if parsed?.host == nil || (scheme != "https" && scheme != "http") {
                problems.append("\(at)url: \(value) is not an https:// URL")
            } else if scheme == "http", let host = parsed?.host, !GatewayConfiguration.ListenAddress(host: host, port: 0).isLoopback {
                problems.append(
                    "\(at)url: \(value) is plain http:// to another machine; peers talk https:// (mutual TLS), http:// on loopback only")
            } else {
                url = value.hasSuffix("/") ? String(value.dropLast()) : value
            }
        }
        let pull = flag(map, "pull", at: at) ?? false
        if pull && url == nil && map["url"] == nil { problems.append("\(at)pull: fetching from a peer needs its url") }
        let tlsCertificate = path(map, "tlsCertificate", at: at)
        if tlsCertificate == nil && !plain {
            problems.append("\(at)tlsCertificate: is required — the peer's TLS certificate is pinned (the only one accepted from it)")
        }
        return GatewayConfiguration.PeerSettings(
            agency: peerAgency, url: url, pull: pull, tlsCertificate: tlsCertificate,
            gatewayCertificate: path(map, "gatewayCertificate", at: at))
    }

    mutating func deliverySettings(_ node: Node?) -> GatewayConfiguration.DeliverySettings {
        var settings = GatewayConfiguration.DeliverySettings()
        guard let map = section(node, "exchange.delivery", required: false) else { return settings }
        let at = "exchange.delivery."
        checkKeys(map, at: at, known: ["firstRetry", "maximumRetry", "retryHorizon", "messageLifetime", "attemptTimeout", "concurrency"])
        settings.firstRetry = seconds(map, "firstRetry", at: at, range: 1...86400) ?? settings.firstRetry
        settings.maximumRetry = seconds(map, "maximumRetry", at: at, range: 1...(7 * 86400)) ?? settings.maximumRetry
        settings.retryHorizon = seconds(map, "retryHorizon", at: at, range: 1...(365 * 86400)) ?? settings.retryHorizon
        settings.messageLifetime = seconds(map, "messageLifetime", at: at, range: 1...(365 * 86400)) ?? settings.messageLifetime
        settings.attemptTimeout = seconds(map, "attemptTimeout", at: at, range: 1...3600) ?? settings.attemptTimeout
        if let concurrency = integer(map, "concurrency", at: at) {
            if (1...64).contains(concurrency) {
                settings.concurrency = concurrency
            } else {
                problems.append("\(at)concurrency: \(concurrency) is not 1 to 64")
            }
        }
        if settings.maximumRetry < settings.firstRetry {
            problems.append("\(at)maximumRetry: \(settings.maximumRetry) s is shorter than firstRetry (\(settings.firstRetry) s)")
        }
        return settings
    }

    /// A duration: whole seconds, or a number with s, m, h or d (`90s`, `15m`, `24h`, `14d`).
    mutating func seconds(_ map: Node.Mapping, _ key: String, at place: String, range: ClosedRange<Int>) -> Int? {
        quantity(
            map, key, at: place, units: [("s", 1), ("m", 60), ("h", 3600), ("d", 86400)], range: range,
            kind: "a duration (seconds, or a number with s, m, h or d: 90s, 15m, 24h, 14d)",
            limits: "\(range.lowerBound) and \(range.upperBound) seconds")
    }

    /// A size: bytes, or a number with KiB, MiB or GiB (`64MiB`).
    mutating func size(_ map: Node.Mapping, _ key: String, at place: String, range: ClosedRange<Int>) -> Int? {
        quantity(
            map, key, at: place, units: [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)], range: range,
            kind: "a size (bytes, or a number with KiB, MiB or GiB: 64MiB)",
            limits: "\(ByteCountText.text(range.lowerBound)) and \(ByteCountText.text(range.upperBound))")
    }

    /// A whole number, optionally followed by one of `units` (suffix, factor), within `range` once multiplied.
    private mutating func quantity(
        _ map: Node.Mapping, _ key: String, at place: String, units: [(String, Int)], range: ClosedRange<Int>, kind: String, limits: String
    ) -> Int? {
        guard let value = text(map, key, at: place, required: false) else { return nil }
        var digits = value.trimmingCharacters(in: .whitespaces)
        var unit = 1
        if let (suffix, factor) = units.first(where: { digits.hasSuffix($0.0) }) {
            digits = String(digits.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            unit = factor
        }
        guard let number = Int(digits), number >= 0 else {
            problems.append("\(place)\(key): \(value) is not \(kind)")
            return nil
        }
        let total = number.multipliedReportingOverflow(by: unit)
        guard !total.overflow, range.contains(total.partialValue) else {
            problems.append("\(place)\(key): \(value) is not between \(limits)")
            return nil
        }
        return total.partialValue
    }
}
