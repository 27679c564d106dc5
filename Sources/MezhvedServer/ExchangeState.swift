import Foundation
import Hummingbird
import Logging
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import MezhvedRecords

/// What every handler of one running server shares: the gateway, its open archive and workflows,
/// the spool, the peers' pins, metrics and the operators' log.
struct ExchangeState: Sendable {
    let gateway: Gateway
    let archive: ArchiveFolder
    let settings: GatewayConfiguration.ExchangeSettings
    let incoming: IncomingWorkflow
    let spool: BodySpool
    let pins: PeerPins
    let metrics: ExchangeMetrics
    let witness: PeerWitness
    let client: PeerClient
    let logger: Logger

    init(gateway: Gateway, archive: ArchiveFolder, settings: GatewayConfiguration.ExchangeSettings, logger: Logger) throws {
        self.gateway = gateway
        self.archive = archive
        self.settings = settings
        self.incoming = IncomingWorkflow(gateway: gateway, registrar: archive.registrar)
        self.spool = try BodySpool.prepare(
            folder: settings.spool, limit: settings.maxDocumentSize, timeout: .seconds(settings.requestTimeout))
        self.pins = try PeerPins(settings)
        self.metrics = ExchangeMetrics()
        self.witness = try PeerWitness(spool: settings.spool, settings: settings, trust: gateway.configuration.trust)
        self.client = try PeerClient(agency: gateway.agency.id, settings: settings, pins: pins)
        self.logger = logger
    }

    /// After a document is taken in: an answer registered may accept (or refuse) a child's transfer
    /// (459-р cl. 1.4), so the children's record is settled when the gateway keeps one (a person key
    /// is configured). A failure is logged; the answer stays registered and the next settlement
    /// (`mezhved register children …`) catches up.
    func settleChildren(after outcome: IncomingOutcome) async {
        guard case .registered(let entry) = outcome.disposition, entry.kind == .answer, gateway.configuration.archive.personKey != nil
        else { return }
        do {
            for fact in try await gateway.childrenRecord(over: archive).settleTransfers(documents: gateway.documents) {
                logger.info(
                    "child transfer settled",
                    metadata: ["kind": "\(fact.record.kind)", "request": "\(fact.record.reference ?? "")", "seq": "\(fact.seq)"])
            }
        } catch {
            logger.warning("the children's record was not settled after an answer", metadata: ["error": "\(error)"])
        }
    }

    /// The peer this request comes from: the agency whose pinned certificate the TLS client
    /// presented; on plain HTTP (loopback only), the configured peer `Mezhved-From` names.
    func authenticate(_ request: Request, context: ExchangeRequestContext) async throws -> String {
        if let certificate = try await context.peerCertificate() {
            guard let agency = pins.agency(presenting: certificate) else {
                // The handshake's callback accepts pinned certificates only; this is defence in depth.
                throw Problem(.forbidden, "peer-not-pinned", "the TLS client certificate is not one of the pinned peers'")
            }
            return agency
        }
        guard settings.tls == nil else {
            throw Problem(.unauthorized, "peer-not-authenticated", "peers authenticate with their pinned TLS client certificate")
        }
        guard let named = request.headers[.mezhvedFrom], !named.isEmpty else {
            throw Problem(.unauthorized, "peer-not-authenticated", "on plain HTTP (loopback) the peer names itself in Mezhved-From")
        }
        guard settings.peer(named) != nil else {
            throw Problem(.forbidden, "peer-unknown", "\(DocumentText.cut(named)) is not a peer of this gateway (exchange.peers)")
        }
        return named
    }
}
