import Foundation
import MezhvedArchive
import MezhvedTestSupport
import Testing

/// Private copies of the shared year's gateways (never its own folders), for the children's record.
enum ChildGateways {
    /// `agencies`' gateway folders copied into a new folder `name` with the shared person key; returns the folder.
    static func copy(_ agencies: [String], as name: String) async throws -> String {
        let folder = try await SharedYear.folder.value
        let copy = "\(folder)/\(name)"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for agency in agencies { try FileManager.default.copyItem(atPath: "\(folder)/\(agency)", toPath: "\(copy)/\(agency)") }
        try FileManager.default.copyItem(atPath: "\(folder)/person.key", toPath: "\(copy)/person.key")
        return copy
    }

    static let child = (snils: "214-365-870 59", digits: "21436587059", last: "Соколова", first: "Алиса", middle: "Игоревна")
    static let parent = (snils: "325-476-981 03", digits: "32547698103", first: "Ирина", middle: "Викторовна")
    /// Every piece of the sample's personal data, as a listing or a log must never hold it.
    static let personal = [
        child.snils, child.digits, child.last, child.first, child.middle, parent.snils, parent.digits, parent.first, parent.middle,
        "2024-02-11", "1995-07-30", "000-11-22",
    ]
    static let compiler = [
        "--compiler", "Никитина Светлана Олеговна", "--compiler-position", "Главный специалист отдела ранней помощи", "--compiler-phone",
        "+7 (812) 000-01-23", "--compiler-email", "s.nikitina@social-protection.mezhved-test.invalid",
    ]

    static func leaks(_ text: String) -> [String] { personal.filter { text.contains($0) } }

    /// The Python with the interop packages for gost_xmldsig.py (MEZHVED_PYTHON, or the clone's .venv-interop), nil when absent.
    static let python: String? = {
        var candidates = [TestProcess.path(".venv-interop/bin/python")]
        if let configured = ProcessInfo.processInfo.environment["MEZHVED_PYTHON"] { candidates.insert(configured, at: 0) }
        return candidates.first { (try? TestProcess.runBlocking($0, ["-c", "import lxml, gostcrypto, pyasn1"]).status) == 0 }
    }()

    static func events(_ log: String, type: String) throws -> [[String: Any]] {
        try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap { line in
            let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return event["type"] as? String == type ? event : nil
        }
    }
}

@Suite("mezhved register children")
struct ChildrenRecordTests {
    @Test("add, list, show, exclude: the rules refuse with the field named and never the SNILS; no personal data in the log or the list")
    func addShowListExclude() async throws {
        let folder = try await ChildGateways.copy(["social-protection"], as: "children-record")
        let gateway = "\(folder)/social-protection/gateway.yaml"
        let log = "\(folder)/social-protection/archive/log/events.log"
        func children(_ arguments: [String]) async throws -> ProcessOutput {
            try await TestProcess.mezhved(["register", "children"] + arguments + ["--gateway", gateway])
        }
        let sample = TestProcess.path("Samples/records/child.yaml")
        // The synthetic year put early-help-center in the hub's register on its first working day, and some children in its record.
        let added = try await children(["add", sample])
        #expect(added.status == 0, "\(added.stderr)")
        let hmac = try await RecordCLITests().opensslHMAC(ChildGateways.child.digits, keyFile: "\(folder)/person.key")
        let prefix = String(hmac.dropFirst("hmac-sha256:".count).prefix(12))
        #expect(added.stdout.hasPrefix("INCLUDED child \(prefix) at early-help-center on 2025-03-10, log entry "), "\(added.stdout)")
        let twice = try await children(["add", sample])
        #expect(twice.status == 6 && twice.stderr.contains("child.snils: the child is already in the record"), "\(twice.stderr)")

        // Every rule at once: a wrong check number, a child of three and more, an organisation outside the register, a day to come.
        let bad = "\(folder)/bad-child.yaml"
        try String(contentsOfFile: sample, encoding: .utf8)
            .replacingOccurrences(of: "214-365-870 59", with: "214-365-870 58").replacingOccurrences(of: "2024-02-11", with: "2021-01-05")
            .replacingOccurrences(of: "organisation: early-help-center", with: "organisation: health")
            .replacingOccurrences(of: "includedOn: 2025-03-10", with: "includedOn: 2099-03-10\nplace: Всеволожск")
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try await children(["add", bad])
        #expect(refused.status == 6, "\(refused.stderr)")
        #expect(refused.stderr.contains("child.snils: SNILS check digits"), "\(refused.stderr)")
        #expect(refused.stderr.contains("place: is not a key of this form"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("214-365-870") && !refused.stderr.contains("2143658705"))
        let older = "\(folder)/older-child.yaml"
        try String(contentsOfFile: bad, encoding: .utf8).replacingOccurrences(of: "214-365-870 58", with: "436-587-092 18")
            .replacingOccurrences(of: "place: Всеволожск\n", with: "").write(toFile: older, atomically: true, encoding: .utf8)
        let rules = try await children(["add", older])
        #expect(rules.status == 6, "\(rules.stderr)")
        #expect(rules.stderr.contains("organisation: health is not in the register of early-help organisations on 2099-03-10"))
        #expect(rules.stderr.contains("includedOn: 2099-03-10 is after today"))
        #expect(rules.stderr.contains("child.birthDate: the child is 938 months old on 2099-03-10"), "\(rules.stderr)")
        #expect(!rules.stderr.contains("436-587-092") && !rules.stderr.contains("43658709218"))

        let list = try await children(["list", "--as-of", "2025-06-01"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("\(prefix)  15m  early-help-center     2025-03-10  in-record"), "\(list.stdout)")
        let before = try await children(["list", "--as-of", "2025-03-09"])
        #expect(before.status == 0 && !before.stdout.contains(prefix), "\(before.stdout)")

        let shown = try await children(["show", ChildGateways.child.snils])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("Соколова Алиса Игоревна, 2024-02-11 г. р., СНИЛС 214-365-870 59"), "\(shown.stdout)")
        #expect(shown.stdout.contains("Родитель: Соколова Ирина Викторовна"))
        let view = try #require(try ChildGateways.events(log, type: "childRecorded").last)
        let payload = view["payload"] as! [String: Any]
        #expect(payload["recordKind"] as? String == "viewed" && payload["people"] as? [String] == [hmac])
        let unknown = try await children(["show", "436-587-092 18"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no child with the SNILS given"), "\(unknown.stderr)")
        #expect(!unknown.stderr.contains("436-587-092"))

        let excluded = try await children(["exclude", ChildGateways.child.snils, "--date", "2025-08-01", "--reason", "moved-away"])
        #expect(excluded.status == 0, "\(excluded.stderr)")
        #expect(excluded.stdout.hasPrefix("EXCLUDED child \(prefix) from early-help-center on 2025-08-01 (moved-away)"))
        let again = try await children(["exclude", ChildGateways.child.snils, "--date", "2025-08-02", "--reason", "moved-away"])
        #expect(again.status == 6 && again.stderr.contains("snils: the child is not in the record (excluded on 2025-08-01)"))
        await #expect(!(try children(["list", "--as-of", "2025-09-01"]).stdout.contains(prefix)))
        let all = try await children(["list", "--as-of", "2025-09-01", "--all"])
        #expect(all.stdout.contains("excluded            2025-08-01  moved-away"), "\(all.stdout)")
        await #expect(try children(["list", "--as-of", "2025-07-31"]).stdout.contains("\(prefix)  17m  early-help-center"))

        // Nothing personal anywhere but in the clerk's `show`.
        for output in [added, twice, list, before, excluded, again, all] {
            #expect(ChildGateways.leaks(output.stdout + output.stderr) == [])
        }
        #expect(ChildGateways.leaks(try String(contentsOfFile: log, encoding: .utf8)) == [])
        // A negative control: the grep finds the data where it is shown.
        #expect(ChildGateways.leaks(shown.stdout).count >= 8)
    }

    @Test(
        "the sealed record decrypts with the archive's data key (in process and by Python over libcrypto), not with another, and not once altered"
    )
    func sealedRecord() async throws {
        let folder = try await ChildGateways.copy(["social-protection"], as: "children-sealed")
        let gateway = "\(folder)/social-protection/gateway.yaml"
        let added = try await TestProcess.mezhved([
            "register", "children", "add", TestProcess.path("Samples/records/child.yaml"), "--gateway", gateway,
        ])
        #expect(added.status == 0, "\(added.stderr)")
        let event = try #require(try ChildGateways.events("\(folder)/social-protection/archive/log/events.log", type: "childRecorded").last)
        let payload = event["payload"] as! [String: Any]
        let object = try #require(payload["object"] as? String)
        let path = "\(folder)/social-protection/archive/objects/\(object.prefix(2))/\(object)"
        let sealed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(ChildGateways.leaks(String(decoding: sealed, as: UTF8.self)) == [])
        let key = try ArchiveDataKey.load(contentsOf: "\(folder)/social-protection/data.key")
        #expect(payload["encryptedWith"] as? String == key.keyID)
        let plain = String(decoding: try SealedRecord.open(sealed, key: key), as: UTF8.self)
        #expect(plain.contains("\"snils\":\"214-365-870 59\"") && plain.contains("Соколова"), "\(plain)")
        #expect(plain.contains(payload["people"].flatMap { ($0 as? [String])?.first } ?? "?"))
        #expect(throws: ArchiveError.self) { try SealedRecord.open(sealed, key: try ArchiveDataKey.generate()) }
        var altered = sealed
        altered[altered.count - 20] ^= 1
        #expect(throws: ArchiveError.self) { try SealedRecord.open(altered, key: key) }

        // Independently: the layout and the key, read by a few lines of Python over libcrypto (no mezhved code).
        let script = TestProcess.path("Tests/Reports/open_sealed.py")
        let decrypted = try await TestProcess.run("python3", [script, "\(folder)/social-protection/data.key", path])
        #expect(decrypted.status == 0, "\(decrypted.stderr)")
        #expect(decrypted.stdout == plain)
        let wrongKey = "\(folder)/other.key"
        try String(repeating: "ab", count: 32).write(toFile: wrongKey, atomically: true, encoding: .utf8)
        let wrong = try await TestProcess.run("python3", [script, wrongKey, path])
        #expect(wrong.status == 1 && wrong.stderr.contains("the GCM tag does not verify"), "\(wrong.stderr)")
    }

    @Test(
        "a transfer between two gateways through files keeps the history continuous; the audit passes on both and fails once a childRecorded event is altered"
    )
    func transferBetweenGateways() async throws {
        let folder = try await ChildGateways.copy(["social-protection", "education"], as: "children-transfer")
        let sender = "\(folder)/social-protection/gateway.yaml"
        let receiver = "\(folder)/education/gateway.yaml"
        func mezhved(_ arguments: [String], _ gateway: String) async throws -> ProcessOutput {
            try await TestProcess.mezhved(arguments + ["--gateway", gateway])
        }
        // The synthetic year has early-help-center in the hub's register and ppms-center in education's.
        // The child is a year old today (the acceptance is today, and must find the child under three).
        let day = { (offset: Int) in
            ISO8601DateFormatter.string(
                from: Date().addingTimeInterval(Double(offset) * 86_400), timeZone: TimeZone(identifier: "Europe/Moscow")!,
                formatOptions: [.withFullDate])
        }
        let form = "\(folder)/child.yaml"
        try String(contentsOfFile: TestProcess.path("Samples/records/child.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "birthDate: 2024-02-11", with: "birthDate: \(day(-365))")
            .replacingOccurrences(of: "includedOn: 2025-03-10", with: "includedOn: \(day(-200))").write(
                toFile: form, atomically: true, encoding: .utf8)
        let add = try await mezhved(["register", "children", "add", form], sender)
        #expect(add.status == 0, "\(add.stderr)")
        let helpForm = "\(folder)/help.yaml"
        try "kind: early-help\ndate: \(day(-100))\nagency: early-help-center\nperson: {snils: \"214-365-870 59\"}\n"
            .write(toFile: helpForm, atomically: true, encoding: .utf8)
        await #expect(try mezhved(["record", "help", helpForm], sender).status == 0)

        // A transfer to an organisation not in the directory is refused before anything is numbered.
        let typo = try await mezhved(
            ["register", "children", "transfer", ChildGateways.child.snils, "--to", "ppms-centr"] + ChildGateways.compiler, sender)
        #expect(typo.status == 6 && typo.stderr.contains("did you mean ppms-center?"), "\(typo.stderr)")
        let request = "\(folder)/transfer.xml"
        let transfer = try await mezhved(
            ["register", "children", "transfer", ChildGateways.child.snils, "--to", "ppms-center", "-o", request] + ChildGateways.compiler,
            sender)
        #expect(transfer.status == 0, "\(transfer.stderr)")
        #expect(transfer.stdout.contains("from early-help-center to ppms-center: request "), "\(transfer.stdout)")
        #expect(transfer.stdout.contains(" to education, log entry "))
        #expect(ChildGateways.leaks(transfer.stdout + transfer.stderr) == [])
        let number = try #require(transfer.stdout.split(separator: " ").drop { $0 != "request" }.dropFirst().first.map(String.init))
        // The signed request verifies by the independent GOST implementation.
        if let python = ChildGateways.python {
            let independent = try await TestProcess.run(python, [TestProcess.path("Tests/Interop/gost_xmldsig.py"), "verify", request])
            #expect(independent.status == 0 && independent.stdout.hasPrefix("OK"), "\(independent.stdout)\(independent.stderr)")
        }

        let received = try await mezhved(["incoming", "receive", request], receiver)
        #expect(received.status == 0, "\(received.stderr)")
        let incoming = try #require(received.stdout.split(separator: " ").dropFirst().first.map(String.init))
        let accept = try await mezhved(
            ["register", "children", "accept", incoming, "-o", "\(folder)/answer.xml"] + ChildGateways.compiler,
            receiver)
        #expect(accept.status == 0, "\(accept.stderr)")
        #expect(accept.stdout.contains("at ppms-center on \(day(0)) from early-help-center (request \(number))"), "\(accept.stdout)")
        let twice = try await mezhved(["register", "children", "accept", incoming] + ChildGateways.compiler, receiver)
        #expect(twice.status == 6 && twice.stderr.contains("already in the record"), "\(twice.stderr)")

        // Before the answer arrives the sender still has the child, transfer requested.
        let pending = try await mezhved(["register", "children", "list"], sender)
        #expect(pending.stdout.contains("transfer-requested") && pending.stdout.contains("to ppms-center \(number)"), "\(pending.stdout)")
        let hmac = try await RecordCLITests().opensslHMAC(ChildGateways.child.digits, keyFile: "\(folder)/person.key")
        let prefix = String(hmac.dropFirst("hmac-sha256:".count).prefix(12))
        // Receiving the accepting answer settles the transfer there and then.
        let back = try await mezhved(["incoming", "receive", "\(folder)/answer.xml"], sender)
        #expect(back.status == 0, "\(back.stderr)")
        #expect(back.stdout.contains("TRANSFERRED \(prefix) to ppms-center (answer to \(number) of "), "\(back.stdout)")
        let settled = try await mezhved(["register", "children", "list", "--all"], sender)
        #expect(!settled.stdout.contains("TRANSFERRED "), "settled once, when the answer was received: \(settled.stdout)")
        #expect(settled.stdout.contains("transferred  ") && settled.stdout.contains("to ppms-center \(number)"), "\(settled.stdout)")
        let remaining = try await mezhved(["register", "children", "list"], sender)
        #expect(settled.stdout.contains(prefix) && !remaining.stdout.contains(prefix), "\(remaining.stdout)")
        let exclude = try await mezhved(["register", "children", "exclude", ChildGateways.child.snils, "--reason", "moved-away"], sender)
        #expect(
            exclude.status == 6 && exclude.stderr.contains("(transferred on "), "a transferred child is not excluded: \(exclude.stderr)")

        // The receiving gateway: the same keyed hash, the previous organisation, the transfer document, the history.
        let there = try await mezhved(["register", "children", "list"], receiver)
        #expect(there.stdout.contains("12m  ppms-center           \(day(0))  in-record"), "\(there.stdout)")
        #expect(there.stdout.contains("from early-help-center (\(number))"))
        let senderLog = "\(folder)/social-protection/archive/log/events.log"
        let receiverLog = "\(folder)/education/archive/log/events.log"
        let inclusions = try ChildGateways.events(receiverLog, type: "childRecorded").map { $0["payload"] as! [String: Any] }
            .filter { $0["people"] as? [String] == [hmac] && $0["recordKind"] as? String == "included" }
        #expect(inclusions.count == 1)
        #expect(inclusions.first?["counterpart"] as? String == "early-help-center" && inclusions.first?["reference"] as? String == number)
        let senderKinds = try ChildGateways.events(senderLog, type: "childRecorded").map { $0["payload"] as! [String: Any] }
            .filter { $0["people"] as? [String] == [hmac] }.map { $0["recordKind"] as! String }
        #expect(senderKinds == ["included", "transfer-requested", "transferred"], "\(senderKinds)")
        let shown = try await mezhved(["register", "children", "show", ChildGateways.child.snils], receiver)
        #expect(shown.stdout.contains("Впервые включен в учет: \(day(-200)); основание: Заключение врачебной комиссии"), "\(shown.stdout)")
        #expect(shown.stdout.contains("ранее: ЛОГБУ «Областной центр ранней помощи» (early-help-center) с \(day(-200)) по \(day(0))"))
        #expect(shown.stdout.contains(", передача № \(number)"))
        #expect(shown.stdout.contains("помощь: \(day(-100)) early-help (early-help-center)"))
        #expect(shown.stdout.contains("СНИЛС 214-365-870 59"))
        for log in [senderLog, receiverLog] { #expect(ChildGateways.leaks(try String(contentsOfFile: log, encoding: .utf8)) == []) }

        // Both journals audit clean; an altered childRecorded event is found.
        for gateway in [sender, receiver] {
            let audit = try await mezhved(["archive", "audit", "--from", "2030-01-01"], gateway)
            #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
        }
        var text = try String(contentsOfFile: receiverLog, encoding: .utf8)
        let range = try #require(text.range(of: "\"counterpart\":\"early-help-center\""))
        text.replaceSubrange(range, with: "\"counterpart\":\"early-help-centre\"")
        try text.write(toFile: receiverLog, atomically: false, encoding: .utf8)
        let failed = try await mezhved(["archive", "audit", "--from", "2030-01-01"], receiver)
        #expect(failed.status == 7 && failed.stdout.contains("log-damaged"), "\(failed.stdout)\(failed.stderr)")
    }
}
