import Foundation

/// The stores the archive, journal and gateway tests run against: the same test, the same
/// assertions, each store.
public enum StoreKind: String, CaseIterable, Sendable {
    case filesystem, postgres

    /// The test cluster's URL and password file (scripts/postgres.sh url, exported by scripts/test.sh).
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["MEZHVED_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }
    public static var postgresPasswordFile: String? { ProcessInfo.processInfo.environment["MEZHVED_POSTGRES_PASSWORD_FILE"] }

    /// Whether this store can be tested here. PostgreSQL without MEZHVED_POSTGRES_URL: under CI an
    /// error (the test fails with it: the suite must run on both stores), elsewhere false and a
    /// message (the case skips). (No `Testing` here: this target is built with the products too.)
    public func available() throws -> Bool {
        guard self == .postgres, Self.postgresURL == nil else { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            throw StoreUnavailable()
        }
        print("skipped: the PostgreSQL case needs MEZHVED_POSTGRES_URL (scripts/postgres.sh start; export $(scripts/postgres.sh url))")
        return false
    }

    /// Why a PostgreSQL case cannot run under CI.
    public struct StoreUnavailable: Error, CustomStringConvertible {
        public var description: String {
            "CI=true but MEZHVED_POSTGRES_URL is not set: the PostgreSQL cases cannot run (start scripts/postgres.sh)"
        }
    }

    /// A schema name of its own for one test (tests run in parallel on one cluster).
    public static func freshSchemaName(prefix: String = "t_") -> String {
        prefix + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
    }
}
