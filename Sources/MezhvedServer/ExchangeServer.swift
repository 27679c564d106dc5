import Hummingbird
import MezhvedGateway

/// The exchange server's version of the peer protocol (docs/exchange-protocol.md).
public enum ExchangeProtocol {
    /// The protocol version in every path (`/exchange/v1/…`).
    public static let version = "v1"
}
