import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// One line per request in the operators' log: method, path, status, duration, and who called
/// (the API token's name and role, or the peer). Never a body, a query string or a header value:
/// those may hold personal data.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = ExchangeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context: context, status: response.status.code, start: start)
            return response
        } catch {
            log(request, context: context, status: Problem(error).status.code, start: start)
            throw Problem(error)  // the one mapping of failures to RFC 9457 answers (a GatewayError would be a bare 500)
        }
    }

    private func log(_ request: Request, context: Context, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(status)",
            "ms": "\(String(format: "%.1f", milliseconds))",
        ]
        if let caller = context.caller { metadata["caller"] = "\(caller.name) (\(caller.role))" }
        context.logger.info("request", metadata: metadata)
    }
}
