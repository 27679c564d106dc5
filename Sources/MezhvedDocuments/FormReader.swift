import Foundation
import Yams

/// A form file (JSON or YAML) read as a plain tree: every scalar is kept as the text written, so
/// that nothing is guessed (YAML would otherwise turn `2026-03-02` into a timestamp, `no` into false).
indirect enum FormValue: Sendable, Equatable {
    case scalar(String)
    case list([FormValue])
    case map([(key: String, value: FormValue)])
    case null

    static func == (a: FormValue, b: FormValue) -> Bool {
        switch (a, b) {
        case (.scalar(let x), .scalar(let y)): return x == y
        case (.list(let x), .list(let y)): return x == y
        case (.map(let x), .map(let y)): return x.map(\.key) == y.map(\.key) && x.map(\.value) == y.map(\.value)
        case (.null, .null): return true
        default: return false
        }
    }

    /// Parses a form written in YAML or JSON (JSON is read as the YAML it is a subset of).
    static func parse(_ bytes: [UInt8], source: String) throws -> FormValue {
        let text = String(decoding: bytes, as: UTF8.self)
        let isJSON = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }.first == "{"
        do {
            guard let node = try Yams.compose(yaml: text) else { return .null }
            return fromYAML(node)
        } catch {
            throw DocumentError(
                .malformedData, "\(source) is not valid \(isJSON ? "JSON" : "YAML"): \(error)",
                hint: isJSON ? "check the brackets, quotes and commas" : "check the indentation and the colons")
        }
    }

    private static func fromYAML(_ node: Node) -> FormValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain && (scalar.string == "~" || scalar.string == "null" || scalar.string.isEmpty) { return .null }
            return .scalar(scalar.string)
        case .sequence(let sequence): return .list(sequence.map(fromYAML))
        case .mapping(let mapping):
            return .map(mapping.map { (($0.key.scalar?.string) ?? "\($0.key)", fromYAML($0.value)) })
        @unknown default: return .null
        }
    }

    subscript(key: String) -> FormValue? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }
}

/// Reads fields out of a form, collecting every problem (with the field's path) instead of
/// stopping at the first.
struct FormReader {
    private(set) var problems: [DocumentProblem] = []

    mutating func problem(_ path: String, _ message: String, ru russian: String) {
        problems.append(DocumentProblem(path: path, message: message, russian: russian))
    }

    func value(_ root: FormValue, _ path: String) -> FormValue? {
        var current: FormValue? = root
        for part in path.split(separator: ".") {
            guard let c = current else { return nil }
            if let open = part.firstIndex(of: "["), part.hasSuffix("]") {
                let key = String(part[..<open])
                let index = Int(part[part.index(after: open)..<part.index(before: part.endIndex)]) ?? -1
                guard case .list(let items)? = c[key], items.indices.contains(index) else { return nil }
                current = items[index]
            } else {
                current = c[String(part)]
            }
        }
        if case .null? = current { return nil }
        return current
    }

    /// A text field the document needs: absent is the empty string (composing names it); present
    /// but empty, or not text, is a problem here.
    mutating func text(_ root: FormValue, _ path: String) -> String {
        guard let v = value(root, path) else { return "" }
        guard case .scalar(let s) = v else {
            problem(path, "must be text", ru: "здесь должен быть текст")
            return ""
        }
        let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { problem(path, "must not be empty", ru: "заполните это поле") }
        return trimmed
    }

    /// An optional text field (empty counts as absent).
    mutating func optionalText(_ root: FormValue, _ path: String) -> String? {
        guard let v = value(root, path) else { return nil }
        guard case .scalar(let s) = v else {
            problem(path, "must be text", ru: "здесь должен быть текст")
            return nil
        }
        let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    mutating func optionalDay(_ root: FormValue, _ path: String) -> CalendarDay? {
        guard let s = optionalText(root, path) else { return nil }
        return parseDay(s, path)
    }

    mutating func parseDay(_ s: String, _ path: String) -> CalendarDay? {
        if let day = CalendarDay(iso: s) { return day }
        // Russian style 02.03.2026
        let parts = s.split(separator: ".")
        if parts.count == 3, let d = Int(parts[0]), let m = Int(parts[1]), let y = Int(parts[2]),
            let day = CalendarDay(year: y, month: m, day: d)
        {
            return day
        }
        problem(path, "\"\(s)\" is not a date (write 2026-03-02 or 02.03.2026)", ru: "«\(s)» — не дата (пишите 02.03.2026 или 2026-03-02)")
        return nil
    }

    mutating func bool(_ root: FormValue, _ path: String) -> Bool? {
        guard let s = optionalText(root, path) else { return nil }
        switch s.lowercased() {
        case "true", "yes", "да", "1": return true
        case "false", "no", "нет", "0": return false
        default:
            problem(path, "\"\(s)\" is not yes/no (true or false)", ru: "«\(s)» — не «да» или «нет» (true или false)")
            return nil
        }
    }

    func list(_ root: FormValue, _ path: String) -> [FormValue] {
        guard case .list(let items)? = value(root, path) else { return [] }
        return items
    }

    func isList(_ root: FormValue, _ path: String) -> Bool {
        if case .list? = value(root, path) { return true }
        return false
    }
}
