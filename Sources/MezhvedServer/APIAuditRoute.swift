import Foundation
import Hummingbird
import MezhvedArchive
import MezhvedGateway

/// `POST /api/v1/audit`: the archive audit as `mezhved archive audit --gateway CONFIG --json`
/// runs it (with the personal-data key: every original re-verified in full). Its report is the
/// answer whatever it found (200); `passed` and `clean` say what it found. One at a time (409
/// while one runs).
struct APIAuditRoute: Sendable {
    let routes: APIRoutes

    func register(on api: RouterGroup<ExchangeRequestContext>) {
        api.post("audit") { request, context in try await audit(request, context: context) }
    }

    func audit(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try APIAuthentication.require(.audit, of: context)
        let query = try APIQuery(request)
        try query.allowOnly(["from", "to"])
        let from = try query.time("from")
        let to = try query.time("to", endOfDay: true)
        guard routes.auditRunning.enter() else {
            throw Problem(
                .conflict, "audit-running", "an audit of this archive is running; ask again when it has finished",
                headers: [.retryAfter: "10"])
        }
        defer { routes.auditRunning.leave() }
        let report = try await routes.exchange.gateway.auditArchive(dataKey: routes.exchange.archive.registrar.dataKey, from: from, to: to)
        return try APIMessage.json(AuditAnswer(report: report))
    }
}

/// The audit report with the computed `passed` and `clean` beside its stored fields (the JSON of
/// `mezhved archive audit --json`).
struct AuditAnswer: Encodable {
    let report: AuditReport

    enum Key: String, CodingKey { case passed, clean }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(report.passed, forKey: .passed)
        try container.encode(report.clean, forKey: .clean)
    }
}
