import Hummingbird
import Logging
import MezhvedWeb
import NIOCore
import NIOSSL

/// The request context of `mezhved serve`: Hummingbird's core context, the connection's channel
/// (for the peer's TLS certificate) and, once the API's authentication ran, who is calling.
public struct ExchangeRequestContext: RequestContext, WebRequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// The API caller, set by the token middleware (nil on the peer routes).
    public var caller: APICaller?
    /// The web pages' signed-in person (set by their session middleware); the access log names
    /// them as it names an API token.
    public var signedIn: SignedInPerson? {
        didSet { caller = signedIn.map { APICaller(name: $0.name, role: $0.role.rawValue) } }
    }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.caller = nil
        self.signedIn = nil
    }

    /// The certificate the client presented in the TLS handshake (nil on plain HTTP).
    func peerCertificate() async throws -> NIOSSLCertificate? {
        do {
            return try await channel.nioSSL_peerCertificate().get()
        } catch is ChannelPipelineError {
            return nil  // no TLS handler: plain HTTP
        }
    }
}

/// Who calls the clerks' and auditors' API: the token's name and role.
public struct APICaller: Sendable, Equatable {
    public let name: String
    public let role: String

    public init(name: String, role: String) {
        self.name = name
        self.role = role
    }
}
