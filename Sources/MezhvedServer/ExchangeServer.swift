import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import MezhvedWeb
import NIOCore
import NIOSSL
import Prometheus
import ServiceLifecycle

/// The exchange server's version of the peer protocol (docs/exchange-protocol.md).
public enum ExchangeProtocol {
    /// The protocol version in every path (`/exchange/v1/…`).
    public static let version = "v1"
}

/// `mezhved serve`: one agency's gateway on the network — the peer protocol, the outbox's delivery
/// and the clerks' and auditors' API, over one open archive. Build it with
/// ``init(gateway:archive:logger:metrics:)``; ``run(onListening:)`` serves until SIGTERM or SIGINT,
/// then finishes the requests under way and closes the archive's writers.
public struct ExchangeServer: Sendable {
    let state: ExchangeState
    let outbox: Outbox
    let metricsRegistry: PrometheusCollectorRegistry?
    /// The clerks' and auditors' pages, when the configuration names their users (`exchange.webUsers`).
    let site: WebSite?

    /// Prepares the server: the spool, the peers' pins; the TLS identity is read when it starts.
    public init(gateway: Gateway, archive: ArchiveFolder, logger: Logger, metrics: PrometheusCollectorRegistry? = nil) throws {
        guard let settings = gateway.configuration.exchange else {
            throw ServerSetupError(
                "the gateway configuration \(gateway.configuration.source) has no exchange section: nothing to serve (docs/gateway.md, exchange)"
            )
        }
        self.state = try ExchangeState(gateway: gateway, archive: archive, settings: settings, logger: logger)
        let outbox = gateway.outbox(registrar: archive.registrar)
        self.outbox = outbox
        self.metricsRegistry = metrics
        self.site = try settings.webUsers.map {
            try WebSite(gateway: gateway, archive: archive, outbox: outbox, users: $0)
        }
    }

    /// The router: the peer protocol, the clerks' and auditors' API, health and metrics.
    func makeRouter() -> Router<ExchangeRequestContext> {
        let router = Router(context: ExchangeRequestContext.self)
        let api = APIRoutes(exchange: state, outbox: outbox)
        if let site {
            router.addMiddleware {
                api.callerMiddleware
                site.sessionMiddleware()
                AccessLogMiddleware()
                MetricsMiddleware()
            }
        } else {
            router.addMiddleware {
                api.callerMiddleware
                AccessLogMiddleware()
                MetricsMiddleware()
            }
        }
        router.get("health") { _, _ in "ok\n" }
        if let registry = metricsRegistry {
            router.get("metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
            }
        }
        PeerRoutes(exchange: state).register(on: router)
        PullRoutes(exchange: state, outbox: outbox).register(on: router)
        api.register(on: router)
        site?.register(on: router)
        return router
    }

    /// The Hummingbird application (HTTP/1.1, with mutual TLS when configured).
    public func makeApplication(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let settings = state.settings
        let server: HTTPServerBuilder
        let http = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(Int64(settings.requestTimeout))))
        if let identity = settings.tls {
            let pins = state.pins
            server = try .tls(
                http,
                configuration: TLSChannelConfiguration(
                    tlsConfiguration: try PeerPins.serverConfiguration(identity),
                    customVerificationCallback: { chain, promise in promise.succeed(pins.verify(chain)) }))
        } else {
            guard settings.listen.isLoopback else {
                throw ServerSetupError("exchange.listen: plain HTTP is served on a loopback address only; configure exchange.tls")
            }
            server = http
        }
        return Application(
            router: makeRouter(), server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(settings.listen.host, port: settings.listen.port), serverName: "mezhved"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? settings.listen.port) },
            logger: state.logger)
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let application = try makeApplication(onListening: onListening)
        let services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: application),
            .init(
                service: CheckpointGossip(state: state, interval: .seconds(state.settings.gossipInterval)),
                successTerminationBehavior: .ignore),
            .init(service: DeliveryWorker(state: state, outbox: outbox, pollInterval: .seconds(1)), successTerminationBehavior: .ignore),
            .init(service: PullWorker(state: state, wait: 20), successTerminationBehavior: .ignore),
        ]
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: state.logger))
        do {
            try await group.run()
        } catch {
            await state.client.shutdown()
            throw error
        }
        await state.client.shutdown()
    }
}
