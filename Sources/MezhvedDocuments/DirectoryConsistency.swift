import Foundation
import MezhvedCore

extension AgencyDirectory {
    /// Consistency of the data itself: unique ids, parents exist, identifiers valid, regulations known.
    ///
    /// Problems are at paths such as `agencies[3].ogrn` or `regulations[1].clauses[2].number`.
    public func consistencyProblems() -> [DocumentProblem] {
        var problems: [DocumentProblem] = []
        problems += regulationProblems()
        problems += agencyProblems()
        return problems
    }

    private func regulationProblems() -> [DocumentProblem] {
        var problems: [DocumentProblem] = []
        func add(_ path: String, _ message: String) { problems.append(DocumentProblem(path: path, message: message)) }
        if regulations.isEmpty { add("regulations", "the directory has no regulations") }
        var seen: [String: Int] = [:]
        for (index, regulation) in regulations.enumerated() {
            let at = "regulations[\(index)]"
            let name = "regulation \"\(regulation.id)\""
            if regulation.id.isEmpty {
                add("\(at).id", "the regulation id is empty")
            } else if let first = seen[regulation.id] {
                add("\(at).id", "duplicate regulation id \"\(regulation.id)\" (also regulations[\(first)])")
            } else {
                seen[regulation.id] = index
            }
            for (field, value) in [("number", regulation.number), ("title", regulation.title)]
            where value.trimmingCharacters(in: .whitespaces).isEmpty {
                add("\(at).\(field)", "\(name): \(field) is empty")
            }
            if regulation.shortTitle.trimmingCharacters(in: .whitespaces).isEmpty {
                add("\(at).shortTitle", "\(name): shortTitle is empty")
            }
            if !Self.isISODate(regulation.date) {
                add("\(at).date", "\(name): date \"\(regulation.date)\" is not a calendar date written as YYYY-MM-DD")
            }
            if let amended = regulation.amendedThrough {
                if !Self.isISODate(amended) {
                    add("\(at).amendedThrough", "\(name): amendedThrough \"\(amended)\" is not a calendar date written as YYYY-MM-DD")
                } else if amended < regulation.date {
                    add("\(at).amendedThrough", "\(name): amendedThrough \(amended) is before the regulation's date \(regulation.date)")
                }
            }
            if let days = regulation.responseDeadlineWorkingDays, days <= 0 {
                add(
                    "\(at).responseDeadlineWorkingDays",
                    "\(name): the response deadline must be a positive number of working days, not \(days)")
            }
            var clauseNumbers: Set<String> = []
            for (clauseIndex, clause) in regulation.clauses.enumerated() {
                let clauseAt = "\(at).clauses[\(clauseIndex)]"
                if !Self.isClauseNumber(clause.number) {
                    add("\(clauseAt).number", "\(name): clause number \"\(clause.number)\" must be numbers separated by dots, e.g. 2.2.7")
                } else if !clauseNumbers.insert(clause.number).inserted {
                    add("\(clauseAt).number", "\(name): clause \(clause.number) is listed twice")
                }
                if clause.summary.trimmingCharacters(in: .whitespaces).isEmpty {
                    add("\(clauseAt).summary", "\(name): clause \(clause.number) has an empty summary")
                }
                if let items = clause.items, items < 1 {
                    add("\(clauseAt).items", "\(name): clause \(clause.number) must have at least 1 item, not \(items)")
                }
                for item in clause.repealedItems ?? [] where item < 1 || item > (clause.items ?? Int.max) {
                    add("\(clauseAt).repealedItems", "\(name): clause \(clause.number) has no item \(item) to be repealed")
                }
            }
        }
        return problems
    }

    private func agencyProblems() -> [DocumentProblem] {
        var problems: [DocumentProblem] = []
        func add(_ path: String, _ message: String) { problems.append(DocumentProblem(path: path, message: message)) }
        if agencies.isEmpty { add("agencies", "the directory has no agencies") }
        var seenIDs: [String: Int] = [:]
        var seenOGRN: [String: Int] = [:]
        var seenINN: [String: Int] = [:]
        for (index, agency) in agencies.enumerated() {
            let at = "agencies[\(index)]"
            let name = "agency \"\(agency.id)\""
            // Identity.
            if !Self.isSlug(agency.id) {
                add(
                    "\(at).id",
                    "agency id \"\(agency.id)\" must be lower-case Latin letters and digits joined by hyphens, e.g. social-protection")
            } else if let first = seenIDs[agency.id] {
                add("\(at).id", "duplicate agency id \"\(agency.id)\" (also agencies[\(first)])")
            } else {
                seenIDs[agency.id] = index
            }
            if agency.fullName.trimmingCharacters(in: .whitespaces).isEmpty {
                add("\(at).fullName", "\(name): fullName is empty")
            } else if agency.fullName.first?.isUppercase != true && agency.fullName.first?.isLetter == true {
                add("\(at).fullName", "\(name): fullName \"\(agency.fullName)\" must start with a capital letter")
            }
            if agency.shortName.trimmingCharacters(in: .whitespaces).isEmpty { add("\(at).shortName", "\(name): shortName is empty") }
            // Hierarchy.
            var parentAgency: Agency?
            switch (agency.kind, agency.parent) {
            case (.executiveBody, let parent?):
                add("\(at).parent", "\(name) is an executive body and cannot have a parent (\"\(parent)\")")
            case (.institution, nil):
                add("\(at).parent", "\(name) is an institution and must name the agency it is subordinate to in parent")
            case (.institution, let parent?):
                if parent == agency.id {
                    add("\(at).parent", "\(name) cannot be its own parent")
                } else if let found = self.agency(id: parent) {
                    parentAgency = found
                    if let cycle = cycleProblem(from: agency) { add("\(at).parent", cycle) }
                } else {
                    add("\(at).parent", "\(name): parent \"\(parent)\" is not an agency in the directory")
                }
            case (.executiveBody, nil):
                break
            }
            // Regulations.
            if agency.regulations.isEmpty { add("\(at).regulations", "\(name) takes part in no regulation") }
            var agencyRegulations: Set<String> = []
            for regulationID in agency.regulations {
                if !agencyRegulations.insert(regulationID).inserted {
                    add("\(at).regulations", "\(name): regulation \(regulationID) is listed twice")
                } else if regulation(id: regulationID) == nil {
                    add(
                        "\(at).regulations",
                        "\(name): unknown regulation \"\(regulationID)\" (known: \(Self.listing(regulations.map(\.id), limit: 5)))")
                } else if let parentAgency, !parentAgency.regulations.contains(regulationID) {
                    add(
                        "\(at).regulations",
                        "\(name) takes part in regulation \(regulationID), but its parent \"\(parentAgency.id)\" does not")
                }
            }
            // Requisites. A branch shares the OGRN and INN of its institution and has its own KPP.
            let isBranch = parentAgency.map { $0.ogrn == agency.ogrn } ?? false
            if let problem = RussianIdentifiers.ogrnProblem(agency.ogrn) {
                add("\(at).ogrn", "\(name): \(problem)")
            } else if agency.ogrn.count != 13 {
                add("\(at).ogrn", "\(name): OGRN \(agency.ogrn) is an individual entrepreneur's OGRNIP; an agency has a 13-digit OGRN")
            } else if isBranch {
                if let parentAgency, parentAgency.inn != agency.inn {
                    add("\(at).inn", "\(name) shares the OGRN of \"\(parentAgency.id)\" (a branch) but has another INN, \(agency.inn)")
                }
                if let parentAgency, parentAgency.kpp == agency.kpp {
                    add(
                        "\(at).kpp",
                        "\(name) shares the OGRN of \"\(parentAgency.id)\" (a branch) and must have its own KPP, not \(agency.kpp)")
                }
            } else if let first = seenOGRN[agency.ogrn] {
                add("\(at).ogrn", "\(name): OGRN \(agency.ogrn) is also the OGRN of \"\(agencies[first].id)\"")
            } else {
                seenOGRN[agency.ogrn] = index
            }
            if let problem = RussianIdentifiers.innProblem(agency.inn) {
                add("\(at).inn", "\(name): \(problem)")
            } else if agency.inn.count != 10 {
                add("\(at).inn", "\(name): INN \(agency.inn) is an individual's INN; an agency has a 10-digit INN")
            } else if !isBranch {
                if let first = seenINN[agency.inn] {
                    add("\(at).inn", "\(name): INN \(agency.inn) is also the INN of \"\(agencies[first].id)\"")
                } else {
                    seenINN[agency.inn] = index
                }
            }
            if let problem = RussianIdentifiers.kppProblem(agency.kpp) { add("\(at).kpp", "\(name): \(problem)") }
            // Letterhead and signature block.
            let letterhead = agency.letterhead
            for (field, value) in [
                ("coatOfArms", letterhead.coatOfArms), ("postalAddress", letterhead.postalAddress), ("phone", letterhead.phone),
            ] where value.trimmingCharacters(in: .whitespaces).isEmpty {
                add("\(at).letterhead.\(field)", "\(name): letterhead \(field) is empty")
            }
            if !Self.isEmail(letterhead.email) {
                add("\(at).letterhead.email", "\(name): letterhead e-mail \"\(letterhead.email)\" is not an address like name@example.org")
            }
            if let website = letterhead.website, !(website.hasPrefix("https://") || website.hasPrefix("http://")) {
                add("\(at).letterhead.website", "\(name): website \"\(website)\" must start with https:// or http://")
            }
            if let certificate = agency.certificate, certificate.trimmingCharacters(in: .whitespaces).isEmpty {
                add("\(at).certificate", "\(name): certificate is empty; write null when the agency has no certificate")
            }
            if let head = agency.headOfficial {
                if head.position.trimmingCharacters(in: .whitespaces).isEmpty {
                    add("\(at).headOfficial.position", "\(name): head's position is empty")
                }
                if head.name.trimmingCharacters(in: .whitespaces).isEmpty {
                    add("\(at).headOfficial.name", "\(name): head's name is empty")
                }
            }
        }
        return problems
    }

    /// A message when following `parent` from `agency` loops or ends at an institution without parent.
    private func cycleProblem(from agency: Agency) -> String? {
        var visited: [String] = [agency.id]
        var current = agency
        while let parentID = current.parent, let parent = self.agency(id: parentID) {
            if visited.contains(parent.id) {
                return "agency \"\(agency.id)\": the parent chain loops (\((visited + [parent.id]).joined(separator: " → ")))"
            }
            visited.append(parent.id)
            current = parent
        }
        return nil
    }

    private static func isSlug(_ s: String) -> Bool {
        !s.isEmpty && !s.hasPrefix("-") && !s.hasSuffix("-") && !s.contains("--")
            && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    private static func isClauseNumber(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    private static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !s.contains(where: \.isWhitespace)
    }

    /// `YYYY-MM-DD` naming a real day of the Gregorian calendar.
    private static func isISODate(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }
}
