import Foundation
import Hummingbird
import NIOCore

/// A form as the browser sends it: `application/x-www-form-urlencoded` fields, or a
/// `multipart/form-data` body with a file. Bounded; a field given twice keeps every value.
struct WebForm {
    var fields: [String: [String]] = [:]
    var files: [String: [UInt8]] = [:]
    var fileNames: [String: String] = [:]

    func value(_ name: String) -> String? { fields[name]?.first }

    /// A field's text, trimmed; nil when absent or empty.
    func text(_ name: String) -> String? {
        guard let value = value(name)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    static func read(_ request: Request, limit: Int) async throws -> WebForm {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw WebRefusal(.contentTooLarge, "Форма больше допустимого размера (\(limit / 1024) КБ).")
        }
        let bytes = Array(buffer.readableBytesView)
        let type = request.headers[.contentType] ?? ""
        if type.lowercased().hasPrefix("multipart/form-data") {
            guard
                let boundary = type.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
                    .first(where: { $0.lowercased().hasPrefix("boundary=") })?.dropFirst("boundary=".count)
            else {
                throw WebRefusal(.badRequest, "Форма с файлом пришла без границы частей (boundary).")
            }
            return try multipart(bytes, boundary: String(boundary).trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        }
        return urlencoded(String(decoding: bytes, as: UTF8.self))
    }

    static func urlencoded(_ text: String) -> WebForm {
        var form = WebForm()
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            form.fields[name, default: []].append(value)
        }
        return form
    }

    static func decode(_ part: Substring) -> String {
        String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
    }

    /// RFC 7578: parts separated by `--boundary`, each with headers, a blank line and the content.
    static func multipart(_ bytes: [UInt8], boundary: String) throws -> WebForm {
        var form = WebForm()
        let delimiter = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var index = 0
        while let found = find(delimiter, in: bytes, from: index) {
            positions.append(found)
            index = found + delimiter.count
        }
        guard positions.count >= 2 else { throw WebRefusal(.badRequest, "Форма с файлом повреждена: нет ни одной части.") }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var partStart = start + delimiter.count
            if partStart + 1 < bytes.count, bytes[partStart] == 13, bytes[partStart + 1] == 10 { partStart += 2 }
            var partEnd = end
            if partEnd >= 2, bytes[partEnd - 2] == 13, bytes[partEnd - 1] == 10 { partEnd -= 2 }
            guard partStart <= partEnd, let split = find(Array("\r\n\r\n".utf8), in: Array(bytes[partStart..<partEnd]), from: 0) else {
                continue
            }
            let part = Array(bytes[partStart..<partEnd])
            let headers = String(decoding: part[0..<split], as: UTF8.self)
            let content = Array(part[(split + 4)...])
            guard let disposition = headers.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition:") }),
                let name = parameter("name", in: String(disposition))
            else { continue }
            if let fileName = parameter("filename", in: String(disposition)) {
                form.files[name] = content
                form.fileNames[name] = fileName
            } else {
                form.fields[name, default: []].append(String(decoding: content, as: UTF8.self))
            }
        }
        return form
    }

    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where piece.hasPrefix("\(name)=") {
            return String(piece.dropFirst(name.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

/// A request the pages refuse: the status and a sentence in Russian for the person.
struct WebRefusal: Error {
    let status: HTTPResponse.Status
    let message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}
