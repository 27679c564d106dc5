import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedRecords
import Synchronization

/// Generated people: names, birth dates and valid SNILS (the personal data the reports must never show).
struct SyntheticPeople: Sendable {
    struct Person: Sendable, Codable {
        let lastName: String
        let firstName: String
        let middleName: String
        let birthDate: String
        let snils: String
    }
    let people: [Person]

    static func generate(count: Int, random: inout SplitMix64) -> SyntheticPeople {
        let male = [
            "Агапов", "Белозёров", "Ветлугин", "Гончаров", "Добрынин", "Ерофеев", "Жданов", "Зимин", "Игнатов", "Крылов",
            "Лаптев", "Мельников", "Нестеров", "Осокин", "Пахомов", "Рябинин", "Сорокин", "Тихонов", "Уваров", "Фомичёв",
        ]
        let firstMale = ["Артём", "Борис", "Глеб", "Денис", "Егор", "Иван", "Кирилл", "Лев", "Матвей", "Никита", "Олег", "Пётр"]
        let firstFemale = ["Алина", "Вера", "Дарья", "Ева", "Зоя", "Инна", "Ксения", "Лидия", "Мария", "Нина", "Ольга", "Полина"]
        let fathers = ["Андреев", "Васильев", "Григорьев", "Дмитриев", "Ильин", "Константинов", "Львов", "Максимов", "Павлов", "Романов"]
        var seen = Set<String>()
        var people: [Person] = []
        while people.count < count {
            let digits = (0..<9).map { _ in Int.random(in: 0...9, using: &random) }
            let body = digits.map(String.init).joined()
            guard body > "001001998", !seen.contains(body) else { continue }
            seen.insert(body)
            let check = RussianIdentifiersCheck.snilsCheck(digits)
            let snils = "\(body.prefix(3))-\(body.dropFirst(3).prefix(3))-\(body.suffix(3)) " + String(format: "%02d", check)
            let female = Bool.random(using: &random)
            let last = male.randomElement(using: &random)! + (female ? "а" : "")
            let first = (female ? firstFemale : firstMale).randomElement(using: &random)!
            let father = fathers.randomElement(using: &random)!
            let middle = String(father.dropLast(2)) + (female ? "евна" : "евич")
            let child = people.count % 3 == 0
            let birthYear = child ? Int.random(in: 2022...2024, using: &random) : Int.random(in: 1950...2000, using: &random)
            let birth = String(
                format: "%04d-%02d-%02d", birthYear, Int.random(in: 1...12, using: &random), Int.random(in: 1...28, using: &random))
            people.append(Person(lastName: last, firstName: first, middleName: middle, birthDate: birth, snils: snils))
        }
        return SyntheticPeople(people: people)
    }

    func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(people)) + [10]
    }
}

enum RussianIdentifiersCheck {
    /// The SNILS check number of nine digits (see RussianIdentifiers.snilsProblem).
    static func snilsCheck(_ digits: [Int]) -> Int {
        let sum = zip(digits, (1...9).reversed()).map { $0 * $1 }.reduce(0, +)
        if sum < 100 { return sum }
        if sum == 100 || sum == 101 { return 0 }
        let rest = sum % 101
        return rest == 100 ? 0 : rest
    }
}

/// One piece of a simulated day's work.
enum SyntheticWork: Sendable {
    /// A request from `sender` to `recipient` about a person, and its answer `answerDelay` working days later (nil: never).
    case request(index: Int, sender: String, recipient: String, template: Int, person: Int, answerDay: CalendarDay?)
    case answer(index: Int)
    case jointEvent(JointEventDraft)
    case help(HelpDraft)
    /// A child of the generated people included in the hub's record, and a child transferred.
    case childIncluded(person: Int, representative: Int)
    case childTransferred(person: Int)
    case childExcluded(person: Int)

    var label: String {
        switch self {
        case .request(let index, let sender, let recipient, _, _, _): return "request \(index) \(sender) → \(recipient)"
        case .answer(let index): return "answer to request \(index)"
        case .jointEvent(let draft): return "joint event \(draft.kind.rawValue)"
        case .help(let draft): return "help \(draft.kind.rawValue) by \(draft.agency)"
        case .childIncluded(let person, _): return "child \(person) included"
        case .childTransferred(let person): return "child \(person) transferred"
        case .childExcluded(let person): return "child \(person) excluded"
        }
    }
}

struct SyntheticPlan: Sendable {
    var days: [CalendarDay] = []
    var work: [CalendarDay: [SyntheticWork]] = [:]
    var late = 0
    var unanswered = 0
}

/// The simulated gateways and what they need to work: real gateways, archives and workflows.
final class SyntheticWorld: Sendable {
    struct Node: Sendable {
        let gateway: Gateway
        let archive: ArchiveFolder
        var outgoing: OutgoingWorkflow { OutgoingWorkflow(gateway: gateway, registrar: archive.registrar) }
        var incoming: IncomingWorkflow { IncomingWorkflow(gateway: gateway, registrar: archive.registrar) }
    }
    let nodes: [String: Node]
    let hub: String
    let templates: [RequestDraft]
    let answerTemplate: AnswerDraft
    let people: Mutex<[SyntheticPeople.Person]> = Mutex([])
    /// The requests sent, by plan index, for their answers.
    let sent = Mutex([Int: (request: InteragencyRequest, sender: String, recipient: String, person: Int)]())

    private init(nodes: [String: Node], hub: String, templates: [RequestDraft], answerTemplate: AnswerDraft) {
        self.nodes = nodes
        self.hub = hub
        self.templates = templates
        self.answerTemplate = answerTemplate
    }

    static func create(agencies: [String], out: String, root: String, created: Date, clock: SimulatedClock) async throws -> SyntheticWorld {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let personKey = try PersonKey.generate()
        try writeOutput(Array((personKey.hex + "\n").utf8), to: out + "/person.key")
        var nodes: [String: Node] = [:]
        for (index, agency) in agencies.enumerated() {
            let folder = "\(out)/\(agency)"
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let key = try ArchiveDataKey.generate()
            try writeOutput(Array((key.hex + "\n").utf8), to: folder + "/data.key")
            let certificates = "\(root)/Certificates"
            let certificate = try String(contentsOfFile: "\(certificates)/agencies/\(agency)/cert.pem", encoding: .utf8)
            let chain = try String(contentsOfFile: "\(certificates)/gost/ca.pem", encoding: .utf8)
            let code = String(format: "%02d", index + 1)
            try await ArchiveFolder.create(
                folder + "/archive",
                configuration: ArchiveConfiguration(
                    agency: agency, outgoingFormat: try NumberFormat("\(code)-{year}/{seq:06}"),
                    incomingFormat: try NumberFormat("ВХ\(code)-{year}/{seq:06}"), dataKeyID: key.keyID,
                    gatewayCertificate: certificate + chain, gatewayKeyFile: nil, checkpointInterval: 100, created: created))
            let text = """
                # A synthetic-year gateway (mezhved synthetic-year): TEST keys only.
                agency: \(agency)
                archive:
                  path: archive
                  dataKey: data.key
                  personKey: ../person.key
                  gatewayKey: \(certificates)/agencies/\(agency)/key.pem
                  gatewayCertificate: \(certificates)/agencies/\(agency)/cert.pem
                signatories:
                  - {id: head, key: \(certificates)/agencies/\(agency)/key.pem, certificate: \(certificates)/agencies/\(agency)/cert.pem, chain: \(certificates)/gost/ca.pem}
                trust: {anchors: [\(certificates)/trust/gost], intermediates: [\(certificates)/gost/ca.pem], crls: [\(certificates)/gost/ca.crl.pem]}
                policy: {offline: true}
                documents: {calendarFallback: labour-code}

                """
            try writeOutput(Array(text.utf8), to: folder + "/gateway.yaml")
            let gateway = try Gateway.open(try GatewayConfiguration.load(contentsOf: folder + "/gateway.yaml"))
            let archive = try await gateway.openArchive(
                onCheckpointFailure: { Output.warning("a checkpoint was not written: \($0)") }, clock: clock.archiveClock)
            nodes[agency] = Node(gateway: gateway, archive: archive)
        }
        let composer = DocumentComposer(context: nodes[agencies[0]]!.gateway.documents)
        var templates: [RequestDraft] = []
        for form in ["request-unemployment-status.yaml", "request-family-in-need.yaml", "request-early-help-child.yaml"] {
            let path = "\(root)/Samples/forms/\(form)"
            var draft = try composer.requestDraft(form: Array(try Data(contentsOf: URL(fileURLWithPath: path))), source: path)
            draft.registration = nil
            draft.signatory = nil
            draft.responseDeadline = nil
            templates.append(draft)
        }
        let answerPath = "\(root)/Samples/forms/answer-unemployment-status.yaml"
        var answer = try composer.answerDraft(form: Array(try Data(contentsOf: URL(fileURLWithPath: answerPath))), source: answerPath)
        answer.registration = nil
        answer.signatory = nil
        return SyntheticWorld(nodes: nodes, hub: agencies[0], templates: templates, answerTemplate: answer)
    }

    /// The request draft of `template` from `sender` to `recipient` about `person`.
    func requestDraft(template: Int, sender: String, recipient: String, person: SyntheticPeople.Person) -> RequestDraft {
        var draft = templates[template]
        draft.sender = sender
        draft.recipient = recipient
        draft.contactForAnswer = nil
        draft.personalData = [
            PersonDraft(
                role: .subject, lastName: person.lastName, firstName: person.firstName, middleName: person.middleName,
                birthDate: CalendarDay(iso: person.birthDate), snils: person.snils)
        ]
        return draft
    }

    /// Which (sender, recipient, template) the regulations allow, found by composing each once.
    func allowedRoutes(people: SyntheticPeople) -> [(String, String, Int)] {
        var routes: [(String, String, Int)] = []
        for sender in nodes.keys.sorted() {
            for recipient in nodes.keys.sorted() where recipient != sender {
                for template in templates.indices {
                    let draft = requestDraft(template: template, sender: sender, recipient: recipient, person: people.people[0])
                    if (try? nodes[sender]!.outgoing.check(.request(draft))) != nil { routes.append((sender, recipient, template)) }
                }
            }
        }
        return routes
    }

    func plan(
        requests: Int, jointEvents: Int, helpRecords: Int, people: SyntheticPeople, workingDays: [CalendarDay],
        calendar: ProductionCalendar,
        lateShare: Double, unansweredShare: Double, children: Int = 0, transferShare: Double = 0, random: inout SplitMix64
    ) throws -> SyntheticPlan {
        self.people.withLock { $0 = people.people }
        let routes = allowedRoutes(people: people)
        guard !routes.isEmpty else { throw SyntheticFailure("no request route between the agencies passes the regulations' rules") }
        // Traffic with the hub counts three times.
        let weighted = routes.flatMap { route in Array(repeating: route, count: route.0 == hub || route.1 == hub ? 3 : 1) }
        var plan = SyntheticPlan()
        var days = Set<CalendarDay>()
        for index in 0..<requests {
            let day = workingDays.randomElement(using: &random)!
            let route = weighted.randomElement(using: &random)!
            let draw = Double.random(in: 0..<1, using: &random)
            var answerDay: CalendarDay?
            if draw < unansweredShare {
                plan.unanswered += 1
            } else if draw < unansweredShare + lateShare {
                plan.late += 1
                answerDay = try calendar.addingWorkingDays(Int.random(in: 11...25, using: &random), to: day, fallback: .labourCode)
            } else {
                answerDay = try calendar.addingWorkingDays(Int.random(in: 1...10, using: &random), to: day, fallback: .labourCode)
            }
            let person = Int.random(in: 0..<people.people.count, using: &random)
            plan.work[day, default: []].append(
                .request(index: index, sender: route.0, recipient: route.1, template: route.2, person: person, answerDay: answerDay))
            days.insert(day)
            if let answerDay {
                plan.work[answerDay, default: []].append(.answer(index: index))
                days.insert(answerDay)
            }
        }
        let others = nodes.keys.filter { $0 != hub }.sorted()
        for _ in 0..<jointEvents {
            let day = workingDays.randomElement(using: &random)!
            let count = Int.random(in: 1...min(3, others.count), using: &random)
            let participants = [hub] + Array(others.shuffled(using: &random).prefix(count))
            let helped = (0..<Int.random(in: 0...3, using: &random)).map { _ in people.people.randomElement(using: &random)!.snils }
            plan.work[day, default: []].append(
                .jointEvent(
                    JointEventDraft(
                        kind: JointEventKind.allCases.randomElement(using: &random)!, date: day, agencies: participants, snils: helped)))
            days.insert(day)
        }
        for _ in 0..<helpRecords {
            let day = workingDays.randomElement(using: &random)!
            plan.work[day, default: []].append(
                .help(
                    HelpDraft(
                        kind: HelpKind.allCases.randomElement(using: &random)!, date: day,
                        agency: nodes.keys.sorted().randomElement(using: &random)!,
                        snils: people.people.randomElement(using: &random)!.snils)))
            days.insert(day)
        }
        planChildren(count: children, transferShare: transferShare, people: people, workingDays: workingDays, random: &random, into: &plan)
        days.formUnion(plan.days)
        // Requests first on each day, so that an answer never waits for its request.
        for day in days {
            plan.work[day]!.sort { a, b in
                func rank(_ w: SyntheticWork) -> Int {
                    if case .request = w { return 0 }
                    return 1
                }
                return rank(a) < rank(b)
            }
        }
        plan.days = days.sorted()
        return plan
    }

    func perform(_ work: SyntheticWork, on day: CalendarDay, tally: SyntheticCounter) async throws {
        let time = SyntheticYear.moment(day, hour: 10)
        switch work {
        case .request(let index, let sender, let recipient, let template, let personIndex, _):
            let person = people.withLock { $0[personIndex] }
            let draft = requestDraft(template: template, sender: sender, recipient: recipient, person: person)
            let sentDocument = try await nodes[sender]!.outgoing.send(.request(draft), at: time)
            guard case .request(let request) = sentDocument.document else { return }
            sent.withLock { $0[index] = (request, sender, recipient, personIndex) }
            tally.withLock { $0.requestsSent += 1 }
            try await deliver(sentDocument.signed, from: sender, to: recipient, tally: tally)
        case .answer(let index):
            guard let (request, sender, recipient, personIndex) = sent.withLock({ $0[index] }) else {
                throw SyntheticFailure("the request was not sent")
            }
            let person = people.withLock { $0[personIndex] }
            var draft = answerTemplate
            draft.personalData = [
                PersonDraft(
                    role: .subject, lastName: person.lastName, firstName: person.firstName, middleName: person.middleName,
                    birthDate: CalendarDay(iso: person.birthDate), snils: person.snils)
            ]
            let answer = try await nodes[recipient]!.outgoing.send(.answer(draft, to: request), at: time)
            tally.withLock { $0.answersSent += 1 }
            try await deliver(answer.signed, from: recipient, to: sender, tally: tally)
        case .jointEvent(let draft):
            let node = nodes[hub]!
            let outcome = try await node.gateway.recorder(over: node.archive).record(draft, today: day)
            tally.withLock {
                if outcome.alreadyRecorded { $0.alreadyRecorded += 1 } else { $0.jointEvents += 1 }
            }
        case .help(let draft):
            let node = nodes[hub]!
            let outcome = try await node.gateway.recorder(over: node.archive).record(draft, today: day)
            tally.withLock {
                if outcome.alreadyRecorded { $0.alreadyRecorded += 1 } else { $0.helpRecords += 1 }
            }
        case .childIncluded(let person, let representative):
            try await includeChild(person: person, representative: representative, on: day, tally: tally)
        case .childTransferred(let person):
            try await transferChild(person: person, on: day, tally: tally)
        case .childExcluded(let person):
            try await excludeChild(person: person, on: day, tally: tally)
        }
    }

    /// The document received by `recipient`, and its receipt received back by `sender`.
    func deliver(_ bytes: [UInt8], from sender: String, to recipient: String, tally: SyntheticCounter) async throws {
        let outcome = try await nodes[recipient]!.incoming.receive(bytes, sourceName: "from \(sender)", at: Date())
        guard case .registered = outcome.disposition else {
            tally.withLock { $0.quarantined += 1 }
            throw SyntheticFailure("\(recipient) did not register the document: \(outcome.reasons.joined(separator: "; "))")
        }
        tally.withLock { $0.received += 1 }
        guard let receipt = outcome.receipt else { return }
        let back = try await nodes[sender]!.incoming.receive(receipt.document, sourceName: "receipt from \(recipient)", at: Date())
        guard case .registered = back.disposition else {
            tally.withLock { $0.quarantined += 1 }
            throw SyntheticFailure("\(sender) did not register the receipt: \(back.reasons.joined(separator: "; "))")
        }
        tally.withLock { $0.receiptsReceived += 1 }
    }

    func finish() async {
        for node in nodes.values { await node.archive.registrar.finishBackgroundWork() }
    }
}

/// A simulation step that did not go as planned (exit 70 through ``ExitCode/forCategory(_:)``).
struct SyntheticFailure: MezhvedError {
    let message: String
    init(_ message: String) { self.message = message }
    var category: FailureCategory { .internalFailure }
    var hint: String? { nil }
    var description: String { message }
}
