import Foundation
import Hummingbird
import Logging
import MezhvedArchive
import MezhvedGateway
import Synchronization

/// The clerks' and auditors' JSON API under `/api/v1/` (docs/openapi.yaml, docs/gateway.md):
/// the journal, the documents with their renderings and reports, drafts checked and composed,
/// documents queued for delivery and the outbox, the archive audit. Every route but the spec needs a bearer token and names the permission it
/// needs; handlers parse, call the gateway's library, and encode JSON.
struct APIRoutes: Sendable {
    /// Where the API lives.
    static let prefix = "/api/v1/"

    let exchange: ExchangeState
    let authentication: APIAuthentication
    let documents: ArchivedDocuments
    let outgoing: OutgoingWorkflow
    /// The durable outbox the delivery workers send from.
    let outbox: Outbox
    /// One audit at a time: it re-reads and re-verifies the whole archive.
    let auditRunning: AuditGate
    /// docs/openapi.yaml, as installed with the server.
    let specification: [UInt8]?

    init(exchange: ExchangeState, outbox: Outbox) {
        self.exchange = exchange
        self.authentication = APIAuthentication(
            registry: exchange.settings.accessTokens.flatMap { place in
                switch place {
                case .file(let path): return AccessTokenRegistry(path: path)
                case .archive: return exchange.archive.storage.credentials.map { AccessTokenRegistry(store: $0) }
                }
            })
        self.documents = ArchivedDocuments(gateway: exchange.gateway, registrar: exchange.archive.registrar)
        self.outgoing = OutgoingWorkflow(gateway: exchange.gateway, registrar: exchange.archive.registrar)
        self.outbox = outbox
        self.auditRunning = AuditGate()
        self.specification = APISpecification.load()
    }

    /// The middleware that names the caller for the access log (it goes before the access log).
    var callerMiddleware: APICallerMiddleware { APICallerMiddleware(authentication: authentication) }

    func register(on router: Router<ExchangeRequestContext>) {
        let specification = self.specification
        router.get("api/v1/openapi.yaml") { _, _ in try APISpecification.response(specification) }
        let api = router.group("api/v1").add(middleware: APIAuthorizationMiddleware(authentication: authentication))
        APIJournalRoutes(routes: self).register(on: api)
        APIDocumentRoutes(routes: self).register(on: api)
        APIComposeRoutes(routes: self).register(on: api)
        APIAuditRoute(routes: self).register(on: api)
        APIOutboxRoutes(routes: self).register(on: api)
    }

    /// The caller's words for the operators' log: token name and role, never more.
    static func callerText(_ context: ExchangeRequestContext) -> String {
        context.caller.map { "\($0.name) (\($0.role))" } ?? "?"
    }
}

/// Lets one holder in at a time.
final class AuditGate: Sendable {
    private let busy = Mutex(false)

    /// Takes the gate; false when it is taken.
    func enter() -> Bool {
        busy.withLock { taken in
            if taken { return false }
            taken = true
            return true
        }
    }

    func leave() { busy.withLock { $0 = false } }
}
