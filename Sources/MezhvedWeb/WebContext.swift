import Hummingbird
import MezhvedGateway

/// The request context the pages need: the server's context, with room for the person the
/// session names (set by ``WebSessionMiddleware`` before the access log writes its line).
public protocol WebRequestContext: RequestContext {
    /// The signed-in person; nil before sign-in and outside the pages.
    var signedIn: SignedInPerson? { get set }
}

/// Who a page's session belongs to: the login (a desk's name, not a person's), the role, and the
/// session's CSRF token that every form of the page carries.
public struct SignedInPerson: Sendable, Equatable {
    public let name: String
    public let role: AccessRole
    /// The SHA-256 (hex) of the session id: what the server keeps, never the id itself.
    public let sessionDigest: String
    public let csrfToken: String

    public init(name: String, role: AccessRole, sessionDigest: String, csrfToken: String) {
        self.name = name
        self.role = role
        self.sessionDigest = sessionDigest
        self.csrfToken = csrfToken
    }

    /// Whether the role may do `permission` (``AccessRole/permissions``, the API's one table).
    public func may(_ permission: AccessPermission) -> Bool { role.allows(permission) }
}
