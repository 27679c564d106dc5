import Foundation
import Testing

/// The stores the archive, journal and gateway tests run against: the same test, the same
/// assertions, each store.
public enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case filesystem, postgres

    public var testDescription: String { rawValue }

    /// The test cluster's URL and password file (scripts/postgres.sh url, exported by scripts/test.sh).
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["MEZHVED_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }
    public static var postgresPasswordFile: String? { ProcessInfo.processInfo.environment["MEZHVED_POSTGRES_PASSWORD_FILE"] }

    /// Whether this store can be tested here. PostgreSQL without MEZHVED_POSTGRES_URL: under CI a
    /// failure (the suite must run on both stores), elsewhere a skip with a message.
    public func available(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard self == .postgres, Self.postgresURL == nil else { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record(
                "CI=true but MEZHVED_POSTGRES_URL is not set: the PostgreSQL cases cannot run (start scripts/postgres.sh)",
                sourceLocation: sourceLocation)
        } else {
            print(
                "skipped: the PostgreSQL case needs MEZHVED_POSTGRES_URL (scripts/postgres.sh start; export $(scripts/postgres.sh url))"
            )
        }
        return false
    }

    /// A schema name of its own for one test (tests run in parallel on one cluster).
    public static func freshSchemaName(prefix: String = "t_") -> String {
        prefix + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
    }
}
