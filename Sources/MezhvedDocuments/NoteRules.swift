import Foundation

extension DocumentRules.Checker {
    /// The rules of an analytic note: the sender, the recipient and every addressee exist and match
    /// the directory; the letterhead is the sender's; the recipient is an addressee and not the
    /// sender; the addressees are exactly the participants of the regulations named, less the
    /// sender; the clauses exist and the sender takes part; the figures' period is one year.
    mutating func note(_ n: AnalyticNote) {
        let sender = agency(n.sender, "sender")
        agency(n.recipient, "recipient")
        letterhead(n.letterhead, of: sender)
        if n.recipient.agency == n.sender.agency {
            add("recipient.agency", "a note is not addressed to its own sender", ru: "справка не адресуется самому отправителю")
        }
        if !n.addressees.contains(where: { $0.agency == n.recipient.agency }) {
            add(
                "recipient.agency", "\(n.recipient.agency) is not one of the note's addressees",
                ru: "«\(n.recipient.agency)» нет среди адресатов справки")
        }
        if n.legalBasis.isEmpty {
            add(
                "legalBasis", "is required: name the regulation and clause of the evaluation (562-2014 cl. 6.2)",
                ru: "укажите регламент и пункт об оценке обмена (562-2014, п. 6.2)")
        }
        legalBasis(n.legalBasis, "legalBasis", participants: [(n.sender, "sender")])
        let regulations = Set(n.legalBasis.map(\.regulation)).filter { context.directory.regulation(id: $0) != nil }
        var seen = Set<String>()
        for (index, addressee) in n.addressees.enumerated() {
            let at = "addressees[\(index)]"
            guard let found = agency(addressee, at) else { continue }
            if !seen.insert(found.id).inserted { add("\(at).agency", "\(found.id) is named twice", ru: "«\(found.id)» указан дважды") }
            if found.id == n.sender.agency {
                add("\(at).agency", "the sender is not one of its own addressees", ru: "отправитель не бывает своим адресатом")
            }
            if !regulations.isEmpty && regulations.isDisjoint(with: found.regulations) {
                add(
                    "\(at).agency",
                    "\(found.id) takes part in none of the regulations named (\(regulations.sorted().joined(separator: ", ")))",
                    ru: "«\(found.id)» не участвует ни в одном из названных регламентов (\(regulations.sorted().joined(separator: ", ")))")
            }
        }
        let expected = NoteAddressees.participants(of: regulations.sorted(), except: n.sender.agency, in: context.directory)
        let missing = expected.filter { !seen.contains($0) }
        if !missing.isEmpty {
            add(
                "addressees", "every participant of the regulations named is an addressee; missing: \(missing.joined(separator: ", "))",
                ru: "справка направляется всем участникам названных регламентов; не указаны: \(missing.joined(separator: ", "))")
        }
        let f = n.figures
        if f.from > f.to {
            add(
                "figures.from", "the period starts \(f.from.iso), after its end \(f.to.iso)",
                ru: "период начинается \(f.from.russian), позже своего конца \(f.to.russian)")
        }
        if f.from.year != f.year || f.to.year != f.year {
            add(
                "figures.year", "the period \(f.from.iso)–\(f.to.iso) is not within the year \(f.year)",
                ru: "период \(f.from.russian)–\(f.to.russian) выходит за пределы \(f.year) года")
        }
        var numbers = Set<Int>()
        for (index, criterion) in f.criteria.enumerated() where !numbers.insert(criterion.number).inserted {
            add(
                "figures.criteria[\(index)].number", "criterion \(criterion.number) is given twice",
                ru: "критерий \(criterion.number) указан дважды")
        }
        for (index, line) in f.agencies.enumerated() where context.directory.agency(id: line.agency) == nil {
            add(
                "figures.agencies[\(index)].agency", "unknown agency \"\(line.agency)\": no such agency in the directory",
                ru: "органа «\(line.agency)» нет в справочнике участников обмена")
        }
        if let compiler = n.compiler { official(compiler, "compiler", phoneRequired: false, emailRequired: false) }
        official(n.signatory, "signatory", phoneRequired: false, emailRequired: false)
    }
}

/// Who a note goes to.
public enum NoteAddressees {
    /// The ids of every agency taking part in any of `regulations`, in directory order, less `sender`.
    public static func participants(of regulations: [String], except sender: String, in directory: AgencyDirectory) -> [String] {
        directory.agencies.filter { $0.id != sender && !Set($0.regulations).isDisjoint(with: regulations) }.map(\.id)
    }
}
