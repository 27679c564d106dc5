import MezhvedCore

/// The keys a form may have, level by level: a key the format does not know is a problem that
/// names the nearest known key, never silently ignored (a typo such as `signatry:` would
/// otherwise quietly give the directory's default).
indirect enum FormKeys {
    /// A value whose keys are not checked further (text, a date, yes/no).
    case leaf
    /// A map with these keys; a list of such maps is checked item by item.
    case map([String: FormKeys])

    static let official: FormKeys = .map(["fullName": .leaf, "position": .leaf, "phone": .leaf, "email": .leaf])
    static let registration: FormKeys = .map(["number": .leaf, "date": .leaf])
    static let legalBasis: FormKeys = .map(["regulation": .leaf, "clause": .leaf, "title": .leaf])
    static let person: FormKeys = .map([
        "role": .leaf, "lastName": .leaf, "firstName": .leaf, "middleName": .leaf, "birthDate": .leaf, "snils": .leaf,
        "address": .leaf, "identityDocument": .leaf,
    ])

    /// A request form.
    static let request: FormKeys = .map([
        "id": .leaf, "registration": registration, "sender": .map(["agency": .leaf]), "recipient": .map(["agency": .leaf]),
        "service": .map(["name": .leaf, "registryId": .leaf]), "legalBasis": legalBasis, "subject": .leaf,
        "informationNeeded": .leaf, "requestedDocument": .leaf, "responseDeadline": .leaf,
        "contactForAnswer": .map(["postalAddress": .leaf, "phone": .leaf, "email": .leaf]),
        "consent": .map(["required": .leaf, "obtained": .leaf, "date": .leaf, "document": .leaf]), "compiler": official,
        "signatory": official, "personalData": person,
    ])

    /// An answer form.
    static let answer: FormKeys = .map([
        "id": .leaf, "registration": registration, "subject": .leaf,
        "refusal": .map(["reason": .leaf, "regulation": .leaf, "clause": .leaf, "title": .leaf]),
        "provided": .map(["name": .leaf, "content": .leaf, "file": .leaf, "mediaType": .leaf]), "compiler": official,
        "signatory": official, "personalData": person,
    ])

    /// Reports every key of `value` (at any depth) that `keys` does not know, and every key given
    /// twice in one map, at its path.
    static func check(_ value: FormValue, against keys: FormKeys, _ f: inout FormReader, path: String = "") {
        guard case .map(let known) = keys else { return }
        switch value {
        case .list(let items):
            for (index, item) in items.enumerated() { check(item, against: keys, &f, path: "\(path)[\(index)]") }
        case .map(let pairs):
            var seen: Set<String> = []
            for (key, child) in pairs {
                let at = path.isEmpty ? key : "\(path).\(key)"
                guard seen.insert(key).inserted else {
                    // Only the first would be read: the second is as silently lost as a typo.
                    f.problem(at, "`\(key)` is given twice; keep one", ru: "поле «\(key)» указано дважды; оставьте одно")
                    continue
                }
                if let childKeys = known[key] {
                    check(child, against: childKeys, &f, path: at)
                    continue
                }
                let names = known.keys.sorted()
                if let nearest = NearestName.suggestion(for: key, among: names) {
                    f.problem(
                        at, "unknown key `\(key)` — did you mean `\(nearest)`?", ru: "неизвестное поле «\(key)» — возможно, «\(nearest)»?")
                } else {
                    f.problem(
                        at, "unknown key `\(key)` (the keys here are \(names.map { "`\($0)`" }.joined(separator: ", ")))",
                        ru: "неизвестное поле «\(key)» (здесь есть поля: \(names.joined(separator: ", ")))")
                }
            }
        case .scalar, .null:
            break
        }
    }
}
