import Foundation
import MezhvedCore
import MezhvedTestSupport
import Testing

@testable import MezhvedArchive
@testable import MezhvedPostgres

/// What only the PostgreSQL store has: rows someone with database access can change by SQL (the
/// audit names each), numbering with several nodes at once, migrations checked at opening, the
/// connection settings. The behaviour both stores share is tested on both (``StoreKind``).
@Suite("PostgreSQL store")
struct PostgresStoreTests {
    /// Runs SQL in the archive's schema with psql (an independent client), as someone with database access.
    static func sql(_ settings: PostgresStoreSettings, _ statement: String) async throws -> String {
        let password = settings.passwordFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let output = try await TestProcess.run(
            "psql",
            [
                "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                "host=\(settings.host) port=\(settings.port) user=\(settings.username) dbname=\(settings.database) options=-csearch_path=\(settings.schema)",
                "-c", statement,
            ], environment: ["PGPASSWORD": password ?? ""])
        #expect(output.status == 0, "psql: \(output.stderr)")
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An archive on PostgreSQL with 6 registrations and checkpoints every 4 entries; its settings.
    static func archiveWithRegistrations() async throws -> (TestArchive, PostgresStoreSettings) {
        let archive = try await ArchiveFixtures.makeArchive(.postgres, interval: 4)
        try await ArchiveFixtures.register(6, in: archive)
        return (archive, (archive.store as! PostgresStorage).settings)
    }

    static func audit(_ archive: TestArchive) async throws -> AuditReport {
        try await ArchiveFixtures.auditor(any: archive, key: true).audit()
    }

    @Test("an untouched PostgreSQL archive audits clean, with the same checkpoints and chain as the filesystem's")
    func cleanAudit() async throws {
        guard try StoreKind.postgres.available() else { return }
        let (archive, settings) = try await Self.archiveWithRegistrations()
        let report = try await Self.audit(archive)
        #expect(report.passed, "\(report.findings)")
        #expect(report.events == 7)
        #expect(report.checkpoints == 1)
        #expect(report.truncationProvable)
        // The rows hold the filesystem log's line format: the hash is SHA-256 of the bytes before ,"hash":.
        let line = try await Self.sql(settings, "SELECT convert_from(line, 'UTF8') FROM archive_events WHERE seq = 2")
        let body = line.components(separatedBy: ",\"hash\":\"")[0]
        #expect(line.hasSuffix("\"}") && line.contains("\"hash\":\"\(ArchiveDigest.sha256Hex(Array(body.utf8)))\""))
        await #expect(try Self.sql(settings, "SELECT last FROM number_counters WHERE direction = 'outgoing'") == "6")
    }

    @Test("a row updated by SQL is named by the audit: its hash no longer matches its line")
    func rowUpdated() async throws {
        guard try StoreKind.postgres.available() else { return }
        let (archive, settings) = try await Self.archiveWithRegistrations()
        _ = try await Self.sql(
            settings,
            "UPDATE archive_events SET line = convert_to(replace(convert_from(line, 'UTF8'), '\"employment\"', '\"education\"'), 'UTF8') WHERE seq = 3"
        )
        let report = try await Self.audit(archive)
        #expect(
            report.findings.contains { $0.category == .logDamaged && $0.item == "archive_events seq 3" && $0.message.contains("altered") },
            "\(report.findings)")
        // Rewritten with a hash recomputed for the new line: the next row no longer chains to it.
        let stored = try await Self.sql(settings, "SELECT convert_from(line, 'UTF8') FROM archive_events WHERE seq = 3")
        let body = stored.components(separatedBy: ",\"hash\":\"")[0]
        let forged = body + ",\"hash\":\"" + ArchiveDigest.sha256Hex(Array(body.utf8)) + "\"}"
        _ = try await Self.sql(
            settings,
            "UPDATE archive_events SET line = convert_to('\(forged.replacingOccurrences(of: "'", with: "''"))', 'UTF8') WHERE seq = 3")
        let rehashed = try await Self.audit(archive)
        #expect(
            rehashed.findings.contains { $0.item == "archive_events seq 4" && $0.message.contains("does not chain") },
            "\(rehashed.findings)")
        #expect(!rehashed.findings.contains { $0.item == "archive_events seq 3" }, "the forged line's own hash holds")
    }

    @Test("a row deleted by SQL is named by the audit: in the middle a hole in the seq, at the end the head, counters and checkpoint")
    func rowDeleted() async throws {
        guard try StoreKind.postgres.available() else { return }
        let (archive, settings) = try await Self.archiveWithRegistrations()
        _ = try await Self.sql(settings, "DELETE FROM archive_events WHERE seq = 4")
        let middle = try await Self.audit(archive)
        #expect(
            middle.findings.contains { $0.item == "archive_events seq 5" && $0.message.contains("entries 4…4 are missing") },
            "\(middle.findings)")
        #expect(middle.findings.contains { $0.category == .numberHole }, "\(middle.findings)")

        let (tail, tailSettings) = try await Self.archiveWithRegistrations()
        _ = try await Self.sql(tailSettings, "DELETE FROM archive_events WHERE seq >= 6")
        let cut = try await Self.audit(tail)
        #expect(cut.findings.contains { $0.item == "archive_head" && $0.message.contains("deleted from the end") }, "\(cut.findings)")
        #expect(cut.findings.contains { $0.item == "number_counters \(ISOTime.agencyYear(Date()))/outgoing" }, "\(cut.findings)")
        #expect(cut.findings.contains { $0.category == .objectUnreferenced }, "\(cut.findings)")
    }

    @Test("a row inserted by SQL is named by the audit, even chained correctly: the head and the counter disagree")
    func rowInserted() async throws {
        guard try StoreKind.postgres.available() else { return }
        let (archive, settings) = try await Self.archiveWithRegistrations()
        let journal = try await archive.journal()
        var payload = EventPayload()
        payload.number = ArchiveFixtures.outgoingNumber(7)
        payload.year = ISOTime.agencyYear(Date())
        payload.direction = .outgoing
        payload.sequence = 7
        payload.kind = .request
        payload.counterpart = "employment"
        let (line, event) = try EventLine.make(
            seq: journal.lastSeq + 1, time: Date(), type: .registered, prev: journal.lastHash, payload: payload)
        let text = String(decoding: line.dropLast(), as: UTF8.self).replacingOccurrences(of: "'", with: "''")
        _ = try await Self.sql(
            settings,
            "INSERT INTO archive_events (seq, line, hash, type) VALUES (\(event.seq), convert_to('\(text)', 'UTF8'), '\(event.hash)', 'registered')"
        )
        let report = try await Self.audit(archive)
        #expect(
            report.findings.contains { $0.item == "archive_head" && $0.message.contains("inserted after the head") }, "\(report.findings)")
        #expect(
            report.findings.contains { $0.item.hasPrefix("number_counters") && $0.message.contains("taken outside mezhved") },
            "\(report.findings)")
        // And the store refuses to append after it.
        await #expect {
            _ = try await archive.reserve(direction: .incoming)
        } throws: { error in
            (error as? ArchiveError)?.code == .integrityBroken && "\(error)".contains("head row")
        }
        // A forged row out of the chain is named directly.
        _ = try await Self.sql(
            settings,
            "INSERT INTO archive_events (seq, line, hash, type) VALUES (\(event.seq + 1), convert_to('\(text)', 'UTF8'), '\(event.hash)', 'registered')"
        )
        let again = try await Self.audit(archive)
        #expect(again.findings.contains { $0.item == "archive_events seq \(event.seq + 1)" }, "\(again.findings)")
    }

    @Test("two nodes (two pools on one database) and 64 tasks register at once: numbers gapless and unique, one chain, audit clean")
    func concurrentNodes() async throws {
        guard try StoreKind.postgres.available() else { return }
        let first = try await ArchiveFixtures.makeArchive(.postgres, interval: 16)
        let second = try await ArchiveFixtures.openPostgres((first.store as! PostgresStorage).settings)
        let nodes = [first, second]
        let numbers = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<64 {
                group.addTask {
                    let node = nodes[worker % 2]
                    var numbers: [String] = []
                    for round in 0..<4 {
                        if round % 2 == 0 {
                            numbers.append(try await node.registrar.reserve(direction: .outgoing).number)
                        } else {
                            let reserved = try await node.registrar.reserve(direction: .outgoing)
                            let document = try ArchiveFixtures.signedRequest(number: reserved.number)
                            numbers.append(
                                try await node.registrar.register(
                                    Submission(direction: .outgoing, document: document, sourceName: "d", signatureStatus: .valid)
                                ).number)
                        }
                    }
                    return numbers
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(numbers.count == 256 && Set(numbers).count == 256)
        await first.registrar.finishBackgroundWork()
        await second.registrar.finishBackgroundWork()
        let journal = try await first.reopenedJournal()
        #expect(journal.entries.map(\.sequence).sorted() == Array(1...256))
        #expect(journal.anomalies.isEmpty)
        let report = try await Self.audit(first)
        #expect(report.passed, "\(report.findings)")
    }

    @Test(
        "a document's row goes in with the event that names it: put and never registered (a node killed between) leaves no row; a refused registration none"
    )
    func objectWithItsEvent() async throws {
        guard try StoreKind.postgres.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(.postgres)
        let settings = (archive.store as! PostgresStorage).settings
        let orphan = try await archive.store.objects.put(Array("put, then the node died".utf8))
        #expect(try await Self.sql(settings, "SELECT count(*) FROM archive_objects") == "0", "nothing written by a put alone")
        #expect(try await archive.store.objects.get(orphan) == Array("put, then the node died".utf8), "readable by its own node meanwhile")
        let reserved = try await archive.registrar.reserve(direction: .outgoing)
        let document = try ArchiveFixtures.signedRequest(number: reserved.number)
        let entry = try await archive.registrar.register(
            Submission(direction: .outgoing, document: document, sourceName: "d", signatureStatus: .valid))
        let stored = try await Self.sql(settings, "SELECT digest FROM archive_objects")
        #expect(stored == entry.object, "the registered document's row, and only it")
        // A document printed with a number never reserved is refused: no row for its object.
        let again = try ArchiveFixtures.signedRequest(number: ArchiveFixtures.outgoingNumber(500))
        await #expect(throws: ArchiveError.self) {
            try await archive.registrar.register(
                Submission(direction: .outgoing, document: again, sourceName: "d2", signatureStatus: .valid))
        }
        #expect(try await Self.sql(settings, "SELECT count(*) FROM archive_objects") == "1")
        #expect((archive.store as! PostgresStorage).pendingObjects.count == 1, "only the put never appended is held")
        let report = try await Self.audit(archive)
        #expect(report.passed, "\(report.findings)")
    }

    @Test("appends written together (group commit): a refused one among 48 at once fails alone, the others are registered, the chain holds")
    func refusedInABatch() async throws {
        guard try StoreKind.postgres.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(.postgres, interval: 16)
        var reserved: [String] = []
        for _ in 0..<32 { reserved.append(try await archive.registrar.reserve(direction: .outgoing).number) }
        let documents = try reserved.map { try ArchiveFixtures.signedRequest(number: $0) }
        // Printed with numbers never reserved: each must be refused, alone.
        let strays = try (900..<916).map { try ArchiveFixtures.signedRequest(number: ArchiveFixtures.outgoingNumber($0)) }
        let outcomes = try await withThrowingTaskGroup(of: (Bool, String?).self) { group in
            for (index, document) in (documents + strays).enumerated() {
                group.addTask {
                    do {
                        let entry = try await archive.registrar.register(
                            Submission(direction: .outgoing, document: document, sourceName: "d\(index)", signatureStatus: .valid))
                        return (index < 32, entry.number)
                    } catch is ArchiveError {
                        return (index < 32, nil)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0.0 }.allSatisfy { $0.1 != nil }, "every document with its reserved number registered")
        #expect(outcomes.filter { !$0.0 }.allSatisfy { $0.1 == nil }, "every stray refused")
        #expect(Set(outcomes.compactMap(\.1)) == Set(reserved))
        await archive.registrar.finishBackgroundWork()
        let journal = try await archive.reopenedJournal()
        #expect(journal.anomalies.isEmpty)
        #expect(journal.entries.filter { $0.recordedStatus == .registered }.count == 32)
        let report = try await Self.audit(archive)
        #expect(report.passed, "\(report.findings)")
    }

    @Test("a schema without the migrations is refused at opening, naming the missing migration (configuration exit code)")
    func migrationMissing() async throws {
        guard try StoreKind.postgres.available() else { return }
        let settings = try PostgresStoreSettings(
            url: StoreKind.postgresURL!, passwordFile: StoreKind.postgresPasswordFile,
            schema: "unmigrated_\(UInt32.random(in: 0...UInt32.max))")
        await #expect {
            _ = try await PostgresStorage.open(settings)
        } throws: { error in
            let error = error as? ArchiveError
            return error?.code == .migrationMissing && error?.code.category == .configurationInvalid
                && error!.message.contains("0001_archive") && error!.hint?.contains("mezhved db migrate") == true
        }
        // Migrating twice applies each migration once.
        let applied = try await PostgresMigrations.apply(settings)
        #expect(applied == ["0001_archive", "0002_delivery_claims", "0003_web_sessions", "0004_credentials"])
        #expect(try await PostgresMigrations.apply(settings).isEmpty)
    }

    @Test(
        "a filesystem archive moved to PostgreSQL keeps every byte: the same journal, the checkpoints hold, the audit is clean, numbering goes on"
    )
    func migrateFromFileSystem() async throws {
        guard try StoreKind.postgres.available() else { return }
        let source = try await ArchiveFixtures.makeArchive(.filesystem, interval: 4)
        try await ArchiveFixtures.register(5, in: source)
        _ = try await source.registrar.quarantine(Rejection(document: Array("junk".utf8), sourceName: "j", reason: "not XML"))
        _ = try await source.reserve(direction: .incoming)
        let settings = try await StoreKind.freshPostgresSettings()
        let summary = try await ArchiveMigration.fileSystemToPostgres(source.path, to: settings)
        #expect(summary.events == 8 && summary.objects == 6 && summary.checkpoints == 2)
        let moved = try await ArchiveFixtures.openPostgres(settings)
        #expect(try await moved.journal().entries == source.journal().entries)
        #expect(try await moved.store.head() == source.store.head())
        let report = try await ArchiveFixtures.auditor(any: moved, key: true).audit()
        #expect(report.passed, "\(report.findings)")
        #expect(report.checkpoints == 2 && report.truncationProvable && report.events == 8)
        // The next number follows the filesystem's.
        let next = try await moved.reserve(direction: .outgoing)
        #expect(next.number == ArchiveFixtures.outgoingNumber(6))
        // A second migration into the same schema is refused, and leaves it as it was.
        await #expect(throws: ArchiveError.self) { _ = try await ArchiveMigration.fileSystemToPostgres(source.path, to: settings) }
        #expect(try await ArchiveFixtures.auditor(any: moved, key: true).audit().passed)
    }

    @Test("mezhved db migrate, archive migrate --from fs --to postgres and archive audit --url: exit codes and what they print")
    func commandLine() async throws {
        guard try StoreKind.postgres.available() else { return }
        let (folder, environment) = try await ArchiveCLITests.initArchive()
        let reserved = try await ArchiveTool.mezhved(["archive", "reserve", "--outgoing", "--count", "4"], environment: environment)
        #expect(reserved.status == 0, "\(reserved.stderr)")
        let schema = "cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let url = StoreKind.postgresURL!
        let password = StoreKind.postgresPasswordFile ?? ""
        let database = ["--url", url, "--password-file", password, "--schema", String(schema)]
        // Not migrated yet: the audit refuses, naming the migration (configuration, exit 11).
        let audit = ["--trust", ArchiveCLITests.trust, "--gateway-cert", ArchiveFixtures.gatewayCert]
        let early = try await ArchiveTool.mezhved(["archive", "audit"] + database + audit)
        #expect(early.status == 11 && early.stderr.contains("lacks migration 0001_archive"), "\(early.status) \(early.stderr)")
        let migrated = try await ArchiveTool.mezhved(["db", "migrate"] + database)
        #expect(migrated.status == 0 && migrated.stdout.contains("applied 0001_archive"), "\(migrated.stderr)")
        let again = try await ArchiveTool.mezhved(["db", "migrate"] + database)
        #expect(again.status == 0 && again.stdout.contains("up to date"), "\(again.stderr)")
        let moved = try await ArchiveTool.mezhved(
            [
                "archive", "migrate", "--from", "fs", "--to", "postgres", "--archive", folder, "--data-key",
                environment["MEZHVED_ARCHIVE_DATA_KEY_FILE"]!,
            ]
                + database + audit)
        #expect(moved.status == 0, "\(moved.stdout) \(moved.stderr)")
        #expect(moved.stdout.contains("5 log entries") && moved.stdout.contains("AUDIT PASSED"), "\(moved.stdout)")
        // A row changed by SQL: the audit fails (exit 7) and names it.
        var settings = try PostgresStoreSettings(url: url, passwordFile: password, schema: String(schema))
        settings.maximumConnections = 2
        _ = try await Self.sql(settings, "DELETE FROM archive_events WHERE seq = 3")
        let broken = try await ArchiveTool.mezhved(["archive", "audit"] + database + audit)
        #expect(broken.status == 7 && broken.stdout.contains("archive_events seq 4"), "\(broken.stdout)")
        // A password in the URL, or a server that does not answer: refused with what to do.
        let inURL = try await ArchiveTool.mezhved(["db", "migrate", "--url", "postgres://mezhved:secret@127.0.0.1:1/postgres"])
        #expect(inURL.status == 11 && inURL.stderr.contains("password file") && !inURL.stderr.contains("secret"), "\(inURL.stderr)")
        let unreachable = try await ArchiveTool.mezhved([
            "db", "migrate", "--url", "postgres://mezhved@127.0.0.1:1/postgres?sslmode=disable",
        ])
        #expect(unreachable.status == 10 && unreachable.stderr.contains("127.0.0.1:1"), "\(unreachable.stderr)")
        let wrongPassword = try ArchiveFixtures.temporaryDirectory() + "/wrong.password"
        try "not-the-password\n".write(toFile: wrongPassword, atomically: true, encoding: .utf8)
        chmod(wrongPassword, 0o600)
        let refused = try await ArchiveTool.mezhved(["db", "migrate", "--url", url, "--password-file", wrongPassword])
        #expect(refused.status == 11 && refused.stderr.contains("password authentication failed"), "\(refused.stderr)")
    }

    @Test("connection settings: no password in the URL, a password file no one else may read, a plain schema name")
    func settings() throws {
        #expect(throws: ArchiveError.self) { try PostgresStoreSettings(url: "postgres://u:secret@127.0.0.1/db") }
        #expect(throws: ArchiveError.self) { try PostgresStoreSettings(url: "postgres://u@127.0.0.1/db", schema: "x; DROP TABLE y") }
        #expect(throws: ArchiveError.self) { try PostgresStoreSettings(url: "mysql://u@127.0.0.1/db") }
        let parsed = try PostgresStoreSettings(url: "postgres://mezhved@127.0.0.1:55432/postgres?sslmode=disable&schema=agency_one")
        #expect(parsed.port == 55432 && parsed.schema == "agency_one" && parsed.sslMode == "disable" && parsed.database == "postgres")
        let folder = try ArchiveFixtures.temporaryDirectory()
        let file = folder + "/password"
        try "secret\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        var open = parsed
        open.passwordFile = file
        #expect {
            _ = try PostgresStorageProbe.password(open)
        } throws: { error in "\(error)".contains("chmod 600") }
        chmod(file, 0o600)
        #expect(try PostgresStorageProbe.password(open) == "secret")
    }
}
