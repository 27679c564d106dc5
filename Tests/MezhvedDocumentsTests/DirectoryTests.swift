import Foundation
import MezhvedDocuments
import Testing

/// The bundled agency directory against the regulations and the test PKI, and the directory's messages.
@Suite struct DirectoryTests {
    /// Clause 1.4 of Decree No. 562, in its order, with the first letter capitalised (nominative case).
    static let bodiesOf562 = [
        "Комитет по социальной защите населения Ленинградской области",
        "Комитет по здравоохранению Ленинградской области",
        "Комитет по молодежной политике Ленинградской области",
        "Комитет по культуре и туризму Ленинградской области",
        "Комитет по физической культуре и спорту Ленинградской области",
        "Управление записи актов гражданского состояния Ленинградской области",
        "Комитет по труду и занятости населения Ленинградской области",
        "Комитет общего и профессионального образования Ленинградской области",
        "Комитет по жилищно-коммунальному хозяйству Ленинградской области",
        "Комитет правопорядка и безопасности Ленинградской области",
    ]

    @Test func bundledDirectoryLoadsAndIsConsistent() throws {
        let directory = try AgencyDirectory.bundled()
        #expect(directory.consistencyProblems() == [])
        #expect(directory.regulations.map(\.id) == ["562-2014", "459r-2023"])
        #expect(directory.regulation(id: "562-2014")?.responseDeadlineWorkingDays == 10)
        #expect(directory.regulation(id: "562-2014")?.date == "2014-12-02")
        #expect(directory.regulation(id: "459r-2023")?.number == "459-р")
        #expect(directory.regulation(id: "459r-2023")?.responseDeadlineWorkingDays == nil)
        #expect(directory.regulation(id: "562-2014")?.clauses.map(\.number).contains("2.2.10") == true)
    }

    @Test func tenExecutiveBodiesTakePartIn562() throws {
        let directory = try AgencyDirectory.bundled()
        let participants = directory.participants(of: "562-2014")
        #expect(participants.count == 10)
        #expect(participants.allSatisfy { $0.isExecutiveBody })
        #expect(participants.map(\.fullName) == Self.bodiesOf562)
        #expect(directory.agencies.filter(\.isExecutiveBody).count == 10)
    }

    @Test func threeCommitteesAndTheirInstitutionsTakePartIn459r() throws {
        let directory = try AgencyDirectory.bundled()
        let committees = ["social-protection", "health", "education"]
        for id in committees {
            #expect(directory.agency(id: id)?.regulations == ["562-2014", "459r-2023"], "\(id)")
        }
        let participants = directory.participants(of: "459r-2023")
        #expect(participants.filter(\.isExecutiveBody).map(\.id) == committees)
        let institutions = participants.filter { !$0.isExecutiveBody }
        #expect(institutions.count >= 3)
        // Every institution goes up to one of the three committees; each committee has at least one.
        var committeesWithInstitutions: Set<String> = []
        for institution in institutions {
            var top = institution
            while let parent = top.parent.flatMap(directory.agency(id:)) { top = parent }
            #expect(committees.contains(top.id), "\(institution.id) is under \(top.id)")
            committeesWithInstitutions.insert(top.id)
            #expect(institution.regulations == ["459r-2023"])
        }
        #expect(committeesWithInstitutions == Set(committees))
        // The order names no institution: the made-up examples say so.
        #expect(institutions.filter(\.isExample).count >= 3)
        #expect(directory.agencies.filter { $0.isExample }.allSatisfy { !$0.isExecutiveBody })
    }

    @Test func requisitesAreMarkedAsTestValues() throws {
        let directory = try AgencyDirectory.bundled()
        for agency in directory.agencies {
            #expect(agency.letterhead.email.hasSuffix(".mezhved-test.invalid"), "\(agency.id)")
            #expect(agency.letterhead.phone.hasPrefix("+7 (812) 000-"), "\(agency.id)")
            #expect(agency.letterhead.coatOfArms == "Ленинградская область")
        }
        let file = try Data(
            contentsOf: DirectoryFixtures.root.appendingPathComponent("Sources/MezhvedDocuments/Resources/directory/agencies.json"))
        let top = try JSONSerialization.jsonObject(with: file) as? [String: Any]
        #expect(top?["test-data"] as? Bool == true)
    }

    static let agencyIDs: [String] = (try? AgencyDirectory.bundled().agencies.map(\.id)) ?? []

    @Test(
        "every agency's test certificate carries its OGRN, INNLE and name, and its owner is the agency's default signatory",
        arguments: agencyIDs)
    func certificateRequisitesMatchTheDirectory(id: String) throws {
        let directory = try AgencyDirectory.bundled()
        let agency = try #require(directory.agency(id: id))
        #expect(agency.certificate == "Certificates/agencies/\(id)/cert.pem")
        let subject = try DirectoryFixtures.certificateSubject(agency.certificate ?? "")
        #expect(subject["OGRN"] == agency.ogrn)
        #expect(subject["INNLE"] == agency.inn)
        #expect(subject["O"] == agency.fullName)
        let head = try #require(agency.headOfficial)
        #expect(subject["CN"] == head.name)
        #expect(subject["SN"].map { "\($0) \(subject["GN"] ?? "")" } == head.name)
        #expect(subject["title"] == head.position)
        #expect(subject["OU"]?.hasPrefix("TEST") == true)
        // A branch shares its institution's OGRN: looking the OGRN up gives the institution.
        let owner = directory.agency(ogrn: agency.ogrn)
        #expect(owner?.id == id || owner?.id == agency.parent, "\(owner?.id ?? "none")")
    }

    @Test func everyAgencyHasATestCertificate() throws {
        let directory = try AgencyDirectory.bundled()
        #expect(directory.agencies.count == 15)
        for agency in directory.agencies {
            let path = try #require(agency.certificate, "\(agency.id)")
            #expect(FileManager.default.fileExists(atPath: DirectoryFixtures.root.appendingPathComponent(path).path), "\(path)")
        }
    }

    // MARK: Messages

    @Test func unknownAgency() throws {
        let directory = try AgencyDirectory.bundled()
        let problem = directory.participationProblem(agencyID: "employmnet", regulationID: "562-2014", path: "recipient.agency")
        #expect(
            problem
                == DocumentProblem(
                    path: "recipient.agency",
                    message: "unknown agency \"employmnet\": no such agency in the directory"
                        + " (known: social-protection, health, youth-policy, culture-tourism, sports and 10 more);"
                        + " did you mean \"employment\"?",
                    russian: "органа «employmnet» нет в справочнике участников обмена; возможно, имелся в виду «employment»"))
        let far = directory.participationProblem(agencyID: "pension-fund", regulationID: "562-2014", path: "sender.agency")
        #expect(
            far?.message.hasPrefix("unknown agency \"pension-fund\": no such agency in the directory (known: social-protection,") == true)
        #expect(far?.message.contains("did you mean") == false)
        #expect(
            directory.participationProblem(agencyID: "", regulationID: "562-2014", path: "sender.agency")?.message.hasPrefix(
                "the agency is missing") == true)
    }

    @Test func nonParticipant() throws {
        let directory = try AgencyDirectory.bundled()
        #expect(
            directory.participationProblem(agencyID: "culture-tourism", regulationID: "459r-2023", path: "recipient.agency")
                == DocumentProblem(
                    path: "recipient.agency",
                    message:
                        "agency \"culture-tourism\" (Комитет по культуре и туризму Ленинградской области) does not take part in regulation"
                        + " 459r-2023 (its participants: social-protection, health, education, cszn, cszn-gatchina and 3 more)",
                    russian:
                        "Комитет по культуре и туризму Ленинградской области не участвует в регламенте 459r-2023; выберите одного из его участников"
                ))
        #expect(directory.participationProblem(agencyID: "employment", regulationID: "562-2014", path: "recipient.agency") == nil)
        #expect(directory.participationProblem(agencyID: "early-help-center", regulationID: "459r-2023", path: "sender.agency") == nil)
        #expect(
            directory.participationProblem(agencyID: "cszn", regulationID: "562-2014", path: "sender.agency")?.message
                == "agency \"cszn\" (Ленинградское областное государственное казенное учреждение"
                + " «Центр социальной защиты населения») does not take part in regulation 562-2014"
                + " (its participants: social-protection, health, youth-policy, culture-tourism, sports and 5 more)")
        #expect(
            directory.participationProblem(agencyID: "health", regulationID: "562-2041", path: "legalBasis[0].regulation")
                == DocumentProblem(
                    path: "legalBasis[0].regulation",
                    message: "unknown regulation \"562-2041\": no such regulation in the directory (known: 562-2014, 459r-2023);"
                        + " did you mean \"562-2014\"?",
                    russian: "регламента «562-2041» нет в справочнике (есть: 562-2014, 459r-2023); возможно, имелся в виду «562-2014»"))
    }

    @Test func clauses() throws {
        let directory = try AgencyDirectory.bundled()
        let path = "legalBasis[0].clause"
        for clause in ["2.2.7", "2.2.7 п.3", "п. 2.2.7 пп. 3", "2.2.7.", "4.4 подпункт 2", "3.4", "2.2.10 п.5"] {
            #expect(directory.clauseProblem(regulationID: "562-2014", clause: clause, path: path) == nil, "\(clause)")
        }
        for clause in ["1.2", "2.1 п.4", "2.3 п.6", "3.3 п.2"] {
            #expect(directory.clauseProblem(regulationID: "459r-2023", clause: clause, path: path) == nil, "\(clause)")
        }
        let regulation = try #require(directory.regulation(id: "562-2014"))
        #expect(regulation.clause(matching: "2.2.10 п.1")?.number == "2.2.10")
        #expect(regulation.clause(matching: "2.2.1 п.7")?.number == "2.2.1")
        #expect(regulation.clause(matching: "2.2.70") == nil)
        #expect(
            directory.clauseProblem(regulationID: "562-2014", clause: "2.2.7 п.4", path: path)
                == DocumentProblem(
                    path: path, message: "clause 2.2.7 of regulation 562-2014 has items 1–3, there is no item 4",
                    russian: "в пункте 2.2.7 регламента 562-2014 подпункты 1–3, подпункта 4 нет"))
        #expect(
            directory.clauseProblem(regulationID: "562-2014", clause: "2.2.10 п.3", path: path)?.message
                == "item 3 of clause 2.2.10 of regulation 562-2014 has been repealed (исключен)")
        let missing = directory.clauseProblem(regulationID: "562-2014", clause: "3.3", path: path)
        #expect(
            missing?.message.hasPrefix(
                "regulation 562-2014 has no clause 3.3 among the clauses that govern data exchange (known clauses: 1.4, 2.2.1,") == true)
        #expect(
            directory.clauseProblem(regulationID: "459r-2023", clause: "абзац второй", path: path)?.message
                == "clause \"абзац второй\" of regulation 459r-2023 does not start with a clause number such as \"2.2.7\"")
        #expect(
            directory.clauseProblem(regulationID: "459r-2023", clause: " ", path: path)?.message.hasPrefix(
                "the clause of regulation 459r-2023 is missing") == true)
        #expect(
            directory.clauseProblem(regulationID: "000-2000", clause: "1.1", path: path)?.message.hasPrefix(
                "unknown regulation \"000-2000\"") == true)
    }

    // MARK: A user's own files

    @Test func userDirectoryFile() throws {
        let folder = try DirectoryFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bundled = try AgencyDirectory.bundled()
        let file = folder.appendingPathComponent("agencies.json")
        struct File: Encodable { let agencies: [Agency] }
        try JSONEncoder().encode(File(agencies: Array(bundled.agencies.prefix(3)))).write(to: file)
        let own = try AgencyDirectory.load(agencies: file.path, regulations: nil)
        #expect(own.agencies.map(\.id) == ["social-protection", "health", "youth-policy"])
        #expect(own.regulations == bundled.regulations)
        #expect(own.consistencyProblems() == [])
    }

    @Test func malformedUserDirectory() throws {
        let folder = try DirectoryFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = folder.appendingPathComponent("broken.json")
        try Data("{\"agencies\": [ {\"id\": \"x\", ".utf8).write(to: broken)
        let error = try #require(throws: DocumentError.self) { try AgencyDirectory.load(agencies: broken.path, regulations: nil) }
        #expect(error.code == .malformedData)
        #expect(error.message.hasPrefix("directory file \"\(broken.path)\" is malformed: not valid JSON"))
        // A syntax error is located by line and column.
        try Data("{\n  \"agencies\": [\n    x\n  ]\n}\n".utf8).write(to: broken)
        let syntax = try #require(throws: DocumentError.self) { try AgencyDirectory.load(agencies: broken.path, regulations: nil) }
        #expect(syntax.code == .malformedData)
        #if os(Linux)
            // swift-corelibs-foundation names the character offset, which becomes a line and column.
            #expect(syntax.message.hasSuffix("is malformed: not valid JSON: Invalid value around character 22 (line 3, column 5)"))
        #endif

        // Valid JSON, wrong shape: the message has the field path.
        let shape = folder.appendingPathComponent("shape.json")
        let bundled = try AgencyDirectory.bundled()
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(bundled.agencies[1])) as? [String: Any])
        object["ogrn"] = nil
        object["regulations"] = "562-2014"
        try JSONSerialization.data(withJSONObject: ["agencies": [object]]).write(to: shape)
        let shapeError = try #require(throws: DocumentError.self) { try AgencyDirectory.load(agencies: shape.path, regulations: nil) }
        #expect(shapeError.code == .malformedData)
        #expect(shapeError.message.hasPrefix("directory file \"\(shape.path)\" is malformed: agencies[0]."))

        let missingOGRN = folder.appendingPathComponent("missing.json")
        object["regulations"] = ["562-2014"]
        try JSONSerialization.data(withJSONObject: ["agencies": [object]]).write(to: missingOGRN)
        let keyError = try #require(throws: DocumentError.self) { try AgencyDirectory.load(agencies: missingOGRN.path, regulations: nil) }
        #expect(keyError.message == "directory file \"\(missingOGRN.path)\" is malformed: agencies[0].ogrn: missing field \"ogrn\"")

        // A kind the format does not know is refused when the file is read, naming the kinds there are.
        let badKind = folder.appendingPathComponent("kind.json")
        object["ogrn"] = "1074709990024"
        object["kind"] = "ministry"
        try JSONSerialization.data(withJSONObject: ["agencies": [object]]).write(to: badKind)
        let kindError = try #require(throws: DocumentError.self) { try AgencyDirectory.load(agencies: badKind.path, regulations: nil) }
        #expect(
            kindError.message
                == "directory file \"\(badKind.path)\" is malformed: agencies[0].kind: kind \"ministry\" must be \"executive-body\" or \"institution\""
        )

        let badRegulations = folder.appendingPathComponent("regulations.json")
        try Data("{\"regulations\": [{\"id\": 562}]}".utf8).write(to: badRegulations)
        try JSONSerialization.data(withJSONObject: ["agencies": []]).write(to: shape)
        let regulationError = try #require(throws: DocumentError.self) {
            try AgencyDirectory.load(agencies: shape.path, regulations: badRegulations.path)
        }
        #expect(regulationError.code == .malformedData)
        #expect(regulationError.message == "directory file \"\(badRegulations.path)\" is malformed: regulations[0].id: expected a string")
    }

    @Test func missingUserDirectory() throws {
        let path = "/nonexistent/mezhved/agencies.json"
        let error = try #require(throws: DocumentError.self) { try AgencyDirectory.load(agencies: path, regulations: nil) }
        #expect(error == DocumentError(.unreadableInput, "cannot read directory file \"\(path)\": no such file"))
        let folder = try DirectoryFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let dirError = try #require(throws: DocumentError.self) { try AgencyDirectory.load(agencies: folder.path, regulations: nil) }
        #expect(dirError.code == .unreadableInput)
    }

    @Test func consistencyFindsBrokenData() throws {
        let bundled = try AgencyDirectory.bundled()
        let health = try #require(bundled.agency(id: "health"))
        let letterhead = Letterhead(coatOfArms: "Ленинградская область", postalAddress: "-", phone: "-", email: "no-at-sign")
        let agencies = [
            health,
            health,  // duplicate id and OGRN
            Agency(
                id: "Bad_ID", fullName: "комитет", shortName: "к", kind: .executiveBody, regulations: ["562-2014"],
                letterhead: letterhead,
                ogrn: "1074709990014", inn: "4703999017", kpp: "47030100"),
            Agency(
                id: "orphan", fullName: "Учреждение", shortName: "У", kind: .institution, parent: "nobody", regulations: ["999"],
                letterhead: health.letterhead, ogrn: "1074709990123", inn: "4703999129", kpp: "470301001"),
            Agency(
                id: "boss", fullName: "Орган", shortName: "О", kind: .executiveBody, parent: "health", regulations: ["562-2014"],
                letterhead: health.letterhead, ogrn: "1074709990134", inn: "4703999136", kpp: "470301001"),
        ]
        let problems = AgencyDirectory(agencies: agencies, regulations: bundled.regulations).consistencyProblems()
        let byPath = Dictionary(grouping: problems, by: \.path).mapValues { $0.map(\.message) }
        #expect(byPath["agencies[1].id"] == ["duplicate agency id \"health\" (also agencies[0])"])
        #expect(byPath["agencies[1].ogrn"] == ["agency \"health\": OGRN 1074709990024 is also the OGRN of \"health\""])
        #expect(byPath["agencies[2].id"]?.first?.hasPrefix("agency id \"Bad_ID\" must be lower-case") == true)
        #expect(byPath["agencies[2].fullName"] == ["agency \"Bad_ID\": fullName \"комитет\" must start with a capital letter"])
        #expect(byPath["agencies[2].ogrn"] == ["agency \"Bad_ID\": OGRN 1074709990014 check digit is 4, expected 3"])
        #expect(byPath["agencies[2].inn"] == ["agency \"Bad_ID\": INN 4703999017 check digit is 7, expected 6"])
        #expect(byPath["agencies[2].kpp"] == ["agency \"Bad_ID\": KPP \"47030100\" must have 9 characters, it has 8"])
        #expect(byPath["agencies[2].letterhead.email"] != nil)
        #expect(byPath["agencies[3].parent"] == ["agency \"orphan\": parent \"nobody\" is not an agency in the directory"])
        #expect(byPath["agencies[3].regulations"]?.first?.hasPrefix("agency \"orphan\": unknown regulation \"999\"") == true)
        #expect(byPath["agencies[4].parent"] == ["agency \"boss\" is an executive body and cannot have a parent (\"health\")"])

        let badRegulation = Regulation(
            id: "x", kind: .decree, number: "1", date: "2023-02-30", title: "T", shortTitle: "T", responseDeadlineWorkingDays: 0,
            clauses: [Clause(number: "2.2", summary: "s"), Clause(number: "2.2", summary: "s"), Clause(number: "2.a", summary: "s")])
        let regulationProblems = AgencyDirectory(agencies: [health], regulations: [badRegulation]).consistencyProblems().map(\.description)
        #expect(
            regulationProblems.contains(
                "regulations[0].date: regulation \"x\": date \"2023-02-30\" is not a calendar date written as YYYY-MM-DD"))
        #expect(regulationProblems.contains("regulations[0].clauses[1].number: regulation \"x\": clause 2.2 is listed twice"))
        #expect(regulationProblems.contains { $0.hasPrefix("regulations[0].clauses[2].number:") })
        #expect(regulationProblems.contains { $0.hasPrefix("regulations[0].responseDeadlineWorkingDays:") })
        #expect(regulationProblems.contains { $0.hasPrefix("agencies[0].regulations: agency \"health\": unknown regulation \"562-2014\"") })
    }

    @Test func branchSharesTheInstitutionsOGRN() throws {
        let directory = try AgencyDirectory.bundled()
        let branch = try #require(directory.agency(id: "cszn-gatchina"))
        let institution = try #require(directory.agency(id: "cszn"))
        #expect(branch.parent == "cszn")
        #expect(branch.ogrn == institution.ogrn && branch.inn == institution.inn && branch.kpp != institution.kpp)
        #expect(directory.agency(ogrn: branch.ogrn)?.id == "cszn")
    }
}

/// Files and programs for the directory tests.
private enum DirectoryFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-directory-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct OpenSSLFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// The subject of a certificate as `openssl x509 -subject -nameopt RFC2253` prints it, by attribute.
    /// INNLE comes either by name (with the test PKI's config) or as `1.2.643.100.4=#120A…` (DER hex).
    static func certificateSubject(_ relativePath: String) throws -> [String: String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "x509", "-in", root.appendingPathComponent(relativePath).path, "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENSSL_CONF"] = root.appendingPathComponent("Certificates/openssl-gost.cnf").path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OpenSSLFailed(description: "openssl x509 failed for \(relativePath)") }
        var line = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("subject=") { line.removeFirst("subject=".count) }
        var attributes: [String: String] = [:]
        for pair in splitUnescaped(line) {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals]).trimmingCharacters(in: .whitespaces)
            let value = String(pair[pair.index(after: equals)...])
            if name == "1.2.643.100.4", value.hasPrefix("#") {
                attributes["INNLE"] = decodeDERString(String(value.dropFirst()))
            } else {
                attributes[name] = value
            }
        }
        return attributes
    }

    /// Splits an RFC 2253 name at commas that are not escaped, removing the escapes.
    private static func splitUnescaped(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for char in text {
            if escaped {
                current.append(char)
                escaped = false
            } else if char == "\\" {
                escaped = true
            } else if char == "," {
                parts.append(current)
                current = ""
            } else {
                current.append(char)
            }
        }
        parts.append(current)
        return parts
    }

    /// The text of a short DER string (tag, one length byte, content) given in hex.
    private static func decodeDERString(_ hex: String) -> String? {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        guard bytes.count >= 2, Int(bytes[1]) == bytes.count - 2 else { return nil }
        return String(decoding: bytes[2...], as: UTF8.self)
    }
}
