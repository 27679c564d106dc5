import Foundation
import HTTPTypes
import Hummingbird
import MezhvedGateway

/// Authentication of the clerks' and auditors' API: `Authorization: Bearer mzv_…` checked
/// against the token file (``AccessTokenRegistry``). What a role may do is the library's table
/// (``AccessRole/permissions``); routes only name the permission they need.
struct APIAuthentication: Sendable {
    /// The token file; nil when the configuration gives none (`exchange.accessTokens`).
    let registry: AccessTokenRegistry?

    /// The caller presenting `request`'s bearer token; throws the 401 problem when there is none
    /// or it is unknown, a 503 when the token file cannot be used.
    func caller(of request: Request) async throws -> APICaller {
        guard let registry else {
            throw Self.unauthorized(
                "no-api-access", "this gateway gives no API access: its configuration names no exchange.accessTokens file")
        }
        guard let header = request.headers[.authorization] else {
            throw Self.unauthorized(
                "token-missing", "the API needs a token: send Authorization: Bearer mzv_… (issued by `mezhved token new`)")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Self.unauthorized("token-missing", "the Authorization header must be Bearer mzv_… (issued by `mezhved token new`)")
        }
        guard let token = try await registry.token(presenting: parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw Self.unauthorized("token-unknown", "the token is not one this gateway issued, or it was revoked")
        }
        return APICaller(name: token.name, role: token.role.rawValue)
    }

    /// Refuses a caller whose role does not allow `permission` (403), before anything is done.
    static func require(_ permission: AccessPermission, of context: ExchangeRequestContext) throws {
        guard let caller = context.caller, let role = AccessRole(rawValue: caller.role) else {
            throw unauthorized("token-missing", "the API needs a token: send Authorization: Bearer mzv_…")
        }
        guard role.allows(permission) else {
            throw Problem(
                .forbidden, "role-not-allowed",
                "the role \(role) may not \(permission) (the token \(caller.name)); nothing was done. Roles that may: "
                    + AccessRole.allCases.filter { $0.allows(permission) }.map(\.rawValue).joined(separator: ", "))
        }
    }

    static func unauthorized(_ code: String, _ detail: String) -> Problem {
        Problem(.unauthorized, code, detail, headers: [.wwwAuthenticate: "Bearer realm=\"mezhved\""])
    }
}

/// Identifies the API's caller before the access log runs, so that its line names the token and
/// role. It never refuses: ``APIAuthorizationMiddleware``, inside the access log, does.
struct APICallerMiddleware: RouterMiddleware {
    typealias Context = ExchangeRequestContext
    let authentication: APIAuthentication

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix(APIRoutes.prefix), request.headers[.authorization] != nil else {
            return try await next(request, context)
        }
        var context = context
        context.caller = try? await authentication.caller(of: request)
        return try await next(request, context)
    }
}

/// Refuses an API request without a valid token (401 with `WWW-Authenticate: Bearer`), on the
/// API's routes except the spec, and answers every failure of the routes as a ``Problem`` (an
/// unexpected one as a 500 without its text, which goes to the operators' log).
struct APIAuthorizationMiddleware: RouterMiddleware {
    typealias Context = ExchangeRequestContext
    let authentication: APIAuthentication

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var context = context
            if context.caller == nil { context.caller = try await authentication.caller(of: request) }
            return try await next(request, context)
        } catch {
            let problem = Problem(error)
            if problem.status.code >= 500 {
                context.logger.error(
                    "API request failed", metadata: ["path": "\(request.uri.path)", "code": "\(problem.code)", "error": "\(error)"])
            }
            throw problem
        }
    }
}
