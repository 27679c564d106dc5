import Foundation
import MezhvedCore
import MezhvedDocuments
import Yams

extension RecordForms {
    /// Reads the form that includes a child in the record of target-group children
    /// (Samples/records/child.yaml), listing every problem at once, each with its field; a SNILS is
    /// never repeated in a message.
    public static func child(_ bytes: [UInt8], source: String) throws -> ChildDraft {
        var reader = try FormNodeReader(bytes, source: source)
        reader.known(["child", "representative", "organisation", "includedOn", "basis"])
        let organisation = reader.text("organisation", required: true)
        let includedOn = reader.day("includedOn")
        let basis = reader.text("basis", required: true)
        var child: ChildPerson?
        var representative: ChildRepresentative?
        if let node = reader.root["child"]?.mapping {
            var sub = FormNodeReader(mapping: node, source: source, prefix: "child.")
            sub.known(["snils", "lastName", "firstName", "middleName", "birthDate"])
            let snils = sub.validSNILS("snils", required: true)
            let last = sub.text("lastName", required: true)
            let first = sub.text("firstName", required: true)
            let middle = sub.text("middleName", required: false)
            let birth = sub.day("birthDate")
            reader.problems += sub.problems
            if let snils, let last, let first, let birth {
                child = ChildPerson(snils: snils, lastName: last, firstName: first, middleName: middle, birthDate: birth)
            }
        } else {
            reader.problems.append("child: is required ({snils, lastName, firstName, middleName, birthDate})")
        }
        if let node = reader.root["representative"]?.mapping {
            var sub = FormNodeReader(mapping: node, source: source, prefix: "representative.")
            sub.known(["role", "snils", "lastName", "firstName", "middleName", "birthDate", "phone"])
            var role = PersonRole.parent
            if let value = sub.text("role", required: false) {
                if value == "parent" || value == "legal-representative" {
                    role = PersonRole(rawValue: value)!
                } else {
                    sub.problems.append("representative.role: \(value) is not parent or legal-representative")
                }
            }
            let snils = sub.validSNILS("snils", required: false)
            let last = sub.text("lastName", required: true)
            let first = sub.text("firstName", required: true)
            let middle = sub.text("middleName", required: false)
            let birth = sub.day("birthDate")
            let phone = sub.text("phone", required: false)
            reader.problems += sub.problems
            if let last, let first, let birth {
                representative = ChildRepresentative(
                    role: role, lastName: last, firstName: first, middleName: middle, birthDate: birth, snils: snils, phone: phone)
            }
        } else {
            reader.problems.append("representative: is required (the parent or legal representative: role, names, birthDate)")
        }
        try reader.finish("the child's form")
        return ChildDraft(
            child: child!, representative: representative!, organisation: organisation!, includedOn: includedOn!, basis: basis!)
    }
}

extension FormNodeReader {
    /// A SNILS field: checked, never repeated in a problem.
    mutating func validSNILS(_ key: String, required: Bool) -> String? {
        guard let value = text(key, required: required) else { return nil }
        if let problem = RussianIdentifiers.snilsProblem(value) {
            problems.append("\(prefix)\(key): \(problem)")
            return nil
        }
        return RussianIdentifiers.normalizedSNILS(value) ?? value
    }
}
