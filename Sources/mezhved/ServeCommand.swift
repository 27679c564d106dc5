import ArgumentParser
import Foundation
import Logging
import Metrics
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import MezhvedServer
import NIOCore
import Prometheus

/// `mezhved serve`: the gateway on the network (docs/exchange-protocol.md, docs/gateway.md).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serves the gateway: the exchange with peer gateways, the outbox's delivery, the clerks' and auditors' API.",
        discussion: """
            Listens where the configuration's exchange section says (mutual TLS with the pinned peers; plain HTTP on a \
            loopback address only), prints one line "listening on …" when it accepts connections, and runs until \
            SIGTERM or SIGINT, when it finishes the requests under way. The operators' log goes to standard error \
            and never holds personal data; Prometheus metrics are at /metrics.
            """)

    @Option(name: .customLong("config"), help: "The gateway configuration file (default: $MEZHVED_GATEWAY; see docs/gateway.md).")
    var config: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String = "info"

    func validate() throws {
        if Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        var option = GatewayOption()
        option.gateway = config
        let gateway = try option.open()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "mezhved.serve.\(gateway.agency.id)")
        // What a crash of the previous run left (a torn log tail, files of interrupted writes older
        // than a minute) is cleared first, as `mezhved archive recover` would, and said.
        // (A PostgreSQL store has nothing to recover: a transaction a crash interrupted left nothing.)
        if gateway.configuration.archive.store == "filesystem" {
            let recovery = try await FileSystemStorage.recover(at: gateway.configuration.archive.path, settledFor: 60)
            if recovery.changed {
                logger.warning(
                    "the archive was recovered from an interrupted run",
                    metadata: ["torn-bytes": "\(recovery.tornBytes)", "objects-set-aside": "\(recovery.quarantinedObjects.count)"])
            }
        }
        let archive = try await gateway.openArchive { error in
            logger.warning("a background checkpoint was not written (the registrations are on disk)", metadata: ["error": "\(error)"])
        }
        let server = try ExchangeServer(gateway: gateway, archive: archive, logger: logger, metrics: registry)
        let scheme = gateway.configuration.exchange?.tls == nil ? "http" : "https"
        let host = gateway.configuration.exchange?.listen.host ?? "127.0.0.1"
        let agency = gateway.agency.id
        do {
            try await server.run { port in
                let printable = host.contains(":") ? "[\(host)]" : host
                FileHandle.standardOutput.write(Data("mezhved serve: \(agency) listening on \(scheme)://\(printable):\(port)\n".utf8))
            }
        } catch let error as IOError where error.errnoCode == EADDRINUSE || error.errnoCode == EACCES || error.errnoCode == EADDRNOTAVAIL {
            await archive.registrar.finishBackgroundWork()
            let listen = gateway.configuration.exchange.map { "\($0.listen)" } ?? "?"
            throw ServerSetupError(
                "exchange.listen: cannot listen on \(listen): \(String(cString: strerror(error.errnoCode))) — another program (or another mezhved serve) uses it, or the address is not this machine's"
            )
        }
        await archive.registrar.finishBackgroundWork()
    }
}
