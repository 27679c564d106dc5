import Foundation
import MezhvedArchive
import MezhvedDocuments
import MezhvedGateway
import MezhvedRecords

/// The synthetic year's record of target-group children: children of the generated people included at
/// the hub (the early-help centre), some transferred to the early-help organisation kept by
/// education's gateway by a signed request and its accepting answer, both through the real workflows.
extension SyntheticWorld {
    /// The organisation at the hub and the one children are transferred to (kept by `transferAgency`).
    static let hubOrganisation = "early-help-center"
    static let transferOrganisation = "ppms-center"
    static let transferAgency = "education"

    /// Includes the organisations in the registers on the year's first working day.
    func prepareRegisters(on day: CalendarDay) async throws {
        let hubNode = nodes[hub]!
        _ = try await EarlyHelpRegister(registrar: hubNode.archive.registrar, directory: hubNode.gateway.documents.directory)
            .change(Self.hubOrganisation, include: true, date: day, decision: "Распоряжение № 1", today: day)
        if let node = nodes[Self.transferAgency] {
            _ = try await EarlyHelpRegister(registrar: node.archive.registrar, directory: node.gateway.documents.directory)
                .change(Self.transferOrganisation, include: true, date: day, decision: "Распоряжение № 1", today: day)
        }
    }

    /// The children's work: `count` children (people born 2022–2024, under three on the day) included
    /// on a working day, `transferShare` of them transferred 10 or more working days later.
    func planChildren(
        count: Int, transferShare: Double, people: SyntheticPeople, workingDays: [CalendarDay], random: inout SplitMix64,
        into plan: inout SyntheticPlan
    ) {
        let children = people.people.indices.filter { $0 % 3 == 0 }.shuffled(using: &random)
        let adults = people.people.indices.filter { $0 % 3 != 0 }
        guard !adults.isEmpty else { return }
        var planned = 0
        for child in children where planned < count {
            guard let born = CalendarDay(iso: people.people[child].birthDate) else { continue }
            let limit = ChildrenRecord.thirdBirthday(born)
            let days = workingDays.filter { $0 >= born && $0 < limit }
            guard days.count > 1 else { continue }
            let index = Int.random(in: 0..<(days.count - 1), using: &random)
            let representative = adults.randomElement(using: &random)!
            plan.work[days[index], default: []].append(.childIncluded(person: child, representative: representative))
            plan.days.append(days[index])
            planned += 1
            let later = days.indices.filter { $0 >= index + 10 }
            if nodes[Self.transferAgency] != nil, !later.isEmpty, Double.random(in: 0..<1, using: &random) < transferShare {
                let day = days[later.randomElement(using: &random)!]
                plan.work[day, default: []].append(.childTransferred(person: child))
                plan.days.append(day)
            } else if let day = workingDays.first(where: { $0 >= limit }) {
                // Three years old within the year: excluded on the next working day.
                plan.work[day, default: []].append(.childExcluded(person: child))
                plan.days.append(day)
            }
        }
    }

    func includeChild(person: Int, representative: Int, on day: CalendarDay, tally: SyntheticCounter) async throws {
        let (child, parent) = people.withLock { ($0[person], $0[representative]) }
        let node = nodes[hub]!
        let draft = ChildDraft(
            child: ChildPerson(
                snils: child.snils, lastName: child.lastName, firstName: child.firstName, middleName: child.middleName,
                birthDate: CalendarDay(iso: child.birthDate)!),
            representative: ChildRepresentative(
                role: .parent, lastName: parent.lastName, firstName: parent.firstName, middleName: parent.middleName,
                birthDate: CalendarDay(iso: parent.birthDate)!, snils: parent.snils, phone: nil),
            organisation: Self.hubOrganisation, includedOn: day, basis: "Заключение врачебной комиссии о нуждаемости в ранней помощи")
        _ = try await node.gateway.childrenRecord(over: node.archive).include(draft, today: day)
        tally.withLock { $0.childrenIncluded += 1 }
    }

    func excludeChild(person: Int, on day: CalendarDay, tally: SyntheticCounter) async throws {
        let child = people.withLock { $0[person] }
        let node = nodes[hub]!
        _ = try await node.gateway.childrenRecord(over: node.archive).exclude(
            snils: child.snils, date: day, reason: .reachedThree, today: day)
        tally.withLock { $0.childrenExcluded += 1 }
    }

    /// The hub's transfer request, received and accepted by education's gateway, its answer received back.
    func transferChild(person: Int, on day: CalendarDay, tally: SyntheticCounter) async throws {
        let time = SyntheticYear.moment(day, hour: 11)
        let child = people.withLock { $0[person] }
        let hubNode = nodes[hub]!
        let receiver = nodes[Self.transferAgency]!
        let record = try hubNode.gateway.childrenRecord(over: hubNode.archive)
        let (draft, entry) = try await record.transferRequest(
            snils: child.snils, to: Self.transferOrganisation, recipient: Self.transferAgency, sender: hub,
            compiler: answerTemplate.compiler, today: day)
        let sent = try await hubNode.outgoing.send(.request(draft), at: time)
        _ = try await record.recordTransferRequested(entry, to: Self.transferOrganisation, number: sent.entry.number, date: day)
        tally.withLock { $0.requestsSent += 1 }
        try await deliver(sent.signed, from: hub, to: Self.transferAgency, tally: tally)
        guard case .request(let request) = sent.document else { return }
        let there = try receiver.gateway.childrenRecord(over: receiver.archive)
        let acceptance = try await there.acceptance(of: request, on: day, compiler: answerTemplate.compiler, today: day)
        let answer = try await receiver.outgoing.send(.answer(acceptance.answer, to: request), at: time)
        _ = try await there.include(
            acceptance.draft, today: day, history: acceptance.history, from: acceptance.from, transferDocument: acceptance.transferDocument)
        tally.withLock { $0.answersSent += 1 }
        try await deliver(answer.signed, from: Self.transferAgency, to: hub, tally: tally)
        let settled = try await record.settleTransfers(documents: hubNode.gateway.documents)
        tally.withLock { $0.childrenTransferred += settled.count }
    }
}
