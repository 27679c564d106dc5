/// How the outbox retries: exponential backoff with jitter up to a ceiling, a horizon after which
/// a message without a receipt has failed, and a message's default end of life. The configuration
/// file's `exchange.delivery` section maps to it.
public struct OutboxPolicy: Sendable, Equatable {
    /// The delay before the first retry (doubled for each further attempt).
    public var firstRetry: Duration
    /// The longest delay between two attempts.
    public var maximumRetry: Duration
    /// How long after queueing a message without a receipt is retried; a failure after it is final.
    public var retryHorizon: Duration
    /// A message's end of life after queueing, when the sender gives none.
    public var messageLifetime: Duration

    /// Defaults: first retry after 10 s, at most 1 h apart, failed 72 h after queueing, expired 14 days after.
    public init(
        firstRetry: Duration = .seconds(10), maximumRetry: Duration = .seconds(3600), retryHorizon: Duration = .seconds(72 * 3600),
        messageLifetime: Duration = .seconds(14 * 86_400)
    ) {
        self.firstRetry = firstRetry
        self.maximumRetry = maximumRetry
        self.retryHorizon = retryHorizon
        self.messageLifetime = messageLifetime
    }

    /// The delay before the attempt after failed attempt `attempt` (1 for the first failure):
    /// `firstRetry × 2^(attempt−1)`, capped at `maximumRetry`, with "equal jitter" — half of it
    /// fixed, the other half drawn uniformly from `generator` — so that many gateways that failed
    /// together do not retry together, and the delay never falls below half the exponential step.
    public func backoffDelay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let step = Self.milliseconds(exponentialStep(attempt: attempt))
        let half = step / 2
        let random = half + (step - half > 0 ? Int64.random(in: 0...(step - half), using: &generator) : 0)
        return .milliseconds(random)
    }

    /// The delay without jitter: `firstRetry × 2^(attempt−1)` capped at `maximumRetry`.
    public func exponentialStep(attempt: Int) -> Duration {
        let first = Self.milliseconds(firstRetry)
        let ceiling = Self.milliseconds(maximumRetry)
        let doublings = max(0, min(attempt - 1, 40))
        let (step, overflow) = first.multipliedReportingOverflow(by: Int64(1) << doublings)
        return .milliseconds(overflow ? ceiling : min(step, ceiling))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    static func seconds(_ duration: Duration) -> Double { Double(milliseconds(duration)) / 1000 }
}
