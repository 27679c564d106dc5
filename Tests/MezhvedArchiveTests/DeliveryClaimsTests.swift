import Foundation
import MezhvedPostgres
import MezhvedTestSupport
import Testing

@testable import MezhvedArchive

/// The outbox's delivery claims on both stores: one claim per message at a time, whoever asks;
/// a claim given back only by its node; a lapsed claim taken over (a node that died mid-delivery).
/// On PostgreSQL the second node is a second store on the same schema (its own pool), as a second
/// `mezhved serve` process has.
@Suite struct DeliveryClaimsTests {
    /// Two handles on one store: the same one for the filesystem (one process serves it), two
    /// pools on one schema for PostgreSQL.
    static func twoNodes(_ store: StoreKind) async throws -> (any ArchiveStorage, any ArchiveStorage, close: @Sendable () -> Void) {
        let archive = try await ArchiveFixtures.makeArchive(store)
        guard let postgres = archive.store as? PostgresStorage else { return (archive.store, archive.store, {}) }
        let second = try await PostgresStorage.open(postgres.settings)
        return (
            postgres, second,
            {
                postgres.close(); second.close()
            }
        )
    }

    @Test(
        "one claim per message at a time, on every node; given back only by its own node; listed while it stands",
        arguments: StoreKind.allCases)
    func claimsExclude(_ store: StoreKind) async throws {
        guard try store.available() else { return }
        let (first, second, close) = try await Self.twoNodes(store)
        defer { close() }
        let now = Date()
        let lease = now.addingTimeInterval(60)
        #expect(try await first.deliveryClaims.claim("m-1", node: "a", until: lease, now: now))
        #expect(
            try await !first.deliveryClaims.claim("m-1", node: "a", until: lease, now: now), "one delivery at a time, even on its own node")
        #expect(try await !second.deliveryClaims.claim("m-1", node: "b", until: lease, now: now))
        #expect(try await second.deliveryClaims.claim("m-2", node: "b", until: lease, now: now))
        #expect(try await first.deliveryClaims.claimed(now: now) == ["m-1", "m-2"])
        // Another node's release leaves the claim standing; its own frees it.
        try await second.deliveryClaims.release("m-1", node: "b")
        #expect(try await second.deliveryClaims.claimed(now: now).contains("m-1"))
        try await first.deliveryClaims.release("m-1", node: "a")
        #expect(try await second.deliveryClaims.claimed(now: now) == ["m-2"])
        #expect(try await second.deliveryClaims.claim("m-1", node: "b", until: lease, now: now))
    }

    @Test("32 workers on two nodes race for one message: exactly one wins", arguments: StoreKind.allCases)
    func raceHasOneWinner(_ store: StoreKind) async throws {
        guard try store.available() else { return }
        let (first, second, close) = try await Self.twoNodes(store)
        defer { close() }
        let nodes = [first, second]
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for worker in 0..<32 {
                group.addTask {
                    let now = Date()
                    return try await nodes[worker % 2].deliveryClaims.claim(
                        "race", node: "node-\(worker % 2)-\(worker)", until: now.addingTimeInterval(60), now: now)
                }
            }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(winners == 1)
    }

    @Test(
        "a claim whose node died (never given back) lapses after its lease, and another node takes the message",
        arguments: StoreKind.allCases)
    func lapsedClaimIsTakenOver(_ store: StoreKind) async throws {
        guard try store.available() else { return }
        let (first, second, close) = try await Self.twoNodes(store)
        defer { close() }
        // PostgreSQL measures the lease on the database's clock: a real second must pass.
        let start = Date()
        #expect(try await first.deliveryClaims.claim("m-dead", node: "dead", until: start.addingTimeInterval(1), now: start))
        #expect(try await !second.deliveryClaims.claim("m-dead", node: "alive", until: start.addingTimeInterval(61), now: start))
        try await Task.sleep(for: .milliseconds(1300))
        let later = Date()
        #expect(try await second.deliveryClaims.claimed(now: later).isEmpty)
        #expect(try await second.deliveryClaims.claim("m-dead", node: "alive", until: later.addingTimeInterval(60), now: later))
        // The dead node's late release does not free the new claim.
        try await first.deliveryClaims.release("m-dead", node: "dead")
        #expect(try await first.deliveryClaims.claimed(now: later) == ["m-dead"])
    }
}
