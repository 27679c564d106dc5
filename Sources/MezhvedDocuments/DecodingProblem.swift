import Foundation

/// A `DecodingError` of a JSON data file (the agency directory, the production calendar) in words
/// a clerk can act on: where (`agencies[3].letterhead.email`, `years.2027.source`) and what.
enum DecodingProblem {
    /// A decoding error in words: where (`agencies[3].letterhead.email`) and what.
    static func describe(_ error: DecodingError, data: Data) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(fieldPath(context.codingPath + [key])): missing field \"\(key.stringValue)\""
        case .typeMismatch(let type, let context):
            return "\(fieldPath(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(fieldPath(context.codingPath)): expected \(typeName(type)), found null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON: \(syntaxProblem(in: data))" }
            return "\(fieldPath(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Where the JSON syntax breaks, from JSONSerialization ("Invalid value around character 15"),
    /// with the character offset turned into a line and column.
    private static func syntaxProblem(in data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return "it cannot be decoded"
        } catch {
            var detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
            while detail.hasSuffix(".") { detail.removeLast() }
            guard let range = detail.range(of: "character "),
                let offset = Int(detail[range.upperBound...].prefix { $0.isNumber }), offset <= data.count
            else { return detail }
            let before = data.prefix(offset)
            let line = before.filter { $0 == UInt8(ascii: "\n") }.count + 1
            let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? before.startIndex
            let column = String(decoding: before[lineStart...], as: UTF8.self).count + 1
            return "\(detail) (line \(line), column \(column))"
        }
    }

    private static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            // An array's keys are "Index N"; an object's keys stay text even when they look like numbers ("2027").
            if let index = key.intValue, key.stringValue == "Index \(index)" {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "top level" : text
    }

    private static func typeName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("String") { return "a string" }
        if name.hasPrefix("Int") || name.hasPrefix("Double") { return "a number" }
        if name.hasPrefix("Bool") { return "true or false" }
        if name.hasPrefix("Array") { return "a list" }
        return "an object"
    }
}
