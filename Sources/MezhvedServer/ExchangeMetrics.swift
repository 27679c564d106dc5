import Metrics
import MezhvedGateway

/// The exchange's own figures (beside Hummingbird's per-route request metrics), exported at
/// `/metrics` in Prometheus' format. Labels carry states and outcomes only, never a document's content.
struct ExchangeMetrics: Sendable {
    private let registered = Counter(label: "mezhved_documents_received_total", dimensions: [("disposition", "registered")])
    private let duplicates = Counter(label: "mezhved_documents_received_total", dimensions: [("disposition", "duplicate")])
    private let quarantined = Counter(label: "mezhved_documents_received_total", dimensions: [("disposition", "quarantined")])

    func received(_ outcome: IncomingOutcome) {
        switch outcome.disposition {
        case .registered: registered.increment()
        case .duplicate: duplicates.increment()
        case .quarantined: quarantined.increment()
        }
    }

    /// One delivery attempt's result (`receipted`, `rejected`, `retry`, `failed`, `expired`).
    func delivery(_ result: String) {
        Counter(label: "mezhved_delivery_attempts_total", dimensions: [("result", result)]).increment()
    }
}
