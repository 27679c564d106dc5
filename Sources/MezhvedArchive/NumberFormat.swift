/// A registration number template: literal text (Cyrillic allowed) with placeholders `{seq}` or
/// `{seq:06}` (the counter, zero-padded to 6), `{year}` (2026), `{yy}` (26) and `{agency}`.
/// Example: `ЗКСЗН-{year}-{seq:06}` → `ЗКСЗН-2026-000345`; `01-12/{seq:06}` → `01-12/000345`.
public struct NumberFormat: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The template as written.
    public let template: String
    private let parts: [Part]

    private enum Part: Sendable, Equatable {
        case literal(String)
        case sequence(width: Int)
        case year, shortYear, agency
    }

    /// Parses `template`; throws when it has no `{seq}` or an unknown placeholder.
    public init(_ template: String) throws {
        var parts: [Part] = []
        var rest = Substring(template)
        var literal = ""
        var hasSequence = false
        while let c = rest.first {
            rest = rest.dropFirst()
            guard c == "{" else {
                literal.append(c)
                continue
            }
            guard let close = rest.firstIndex(of: "}") else {
                throw ArchiveError(.formatInvalid, "the number format \"\(template)\" has an unclosed \"{\"", hint: "close the placeholder")
            }
            let name = String(rest[..<close])
            rest = rest[rest.index(after: close)...]
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
            switch name {
            case "seq": parts.append(.sequence(width: 0))
            case "year": parts.append(.year)
            case "yy": parts.append(.shortYear)
            case "agency": parts.append(.agency)
            default:
                if name.hasPrefix("seq:"), let width = Int(name.dropFirst(4)), (1...12).contains(width) {
                    parts.append(.sequence(width: width))
                } else {
                    throw ArchiveError(
                        .formatInvalid, "the number format \"\(template)\" has an unknown placeholder {\(name)}",
                        hint: "use {seq}, {seq:06}, {year}, {yy} or {agency}")
                }
            }
            if case .sequence = parts.last { hasSequence = true }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        guard hasSequence else {
            throw ArchiveError(.formatInvalid, "the number format \"\(template)\" has no {seq} placeholder", hint: "add {seq:06} or {seq}")
        }
        self.template = template
        self.parts = parts
    }

    /// The number for counter `sequence` in `year`.
    public func format(sequence: Int, year: Int, agency: String) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let text): out += text
            case .sequence(let width):
                let digits = String(sequence)
                out += String(repeating: "0", count: max(0, width - digits.count)) + digits
            case .year: out += String(year)
            case .shortYear:
                let text = String(year % 100)
                out += text.count < 2 ? "0" + text : text
            case .agency: out += agency
            }
        }
        return out
    }

    public var description: String { template }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(template)
    }
}
