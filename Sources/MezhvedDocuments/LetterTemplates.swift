import Foundation
import Mustache

/// The letterhead's templates (`Resources/templates`, swift-mustache, HTML-escaped by default):
/// the one design of a document on screen, in the archive's export and in print. The web pages
/// register them in their own library and embed the sheet (``DocumentRenderer/sheet(_:signature:redactPersonalData:)``).
public enum LetterTemplates {
    /// The templates by name (`letter`, `letter-page`, `letter-request`, …), read once from the
    /// module's resources; the error when they cannot be read (a broken installation).
    public static let loaded: Result<[String: MustacheTemplate], LetterTemplatesMissing> = load()

    /// The letter's style sheet (`letter.css`): the A4 sheet, the letterhead, the signature mark.
    public static let css: String = {
        guard let url = Bundle.module.url(forResource: "letter", withExtension: "css", subdirectory: "Resources/templates"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "" }
        return text
    }()

    /// The library of the letter's templates (empty when they cannot be read).
    public static var library: MustacheLibrary {
        MustacheLibrary(templates: (try? loaded.get()) ?? [:])
    }

    static func load() -> Result<[String: MustacheTemplate], LetterTemplatesMissing> {
        guard let folder = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources") else {
            return .failure(LetterTemplatesMissing(detail: "the folder Resources/templates is not in mezhved's resources"))
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mustache") }.sorted()
        } catch {
            return .failure(LetterTemplatesMissing(detail: "\(folder.path) cannot be listed: \(error.localizedDescription)"))
        }
        var templates: [String: MustacheTemplate] = [:]
        for name in names {
            let path = folder.appendingPathComponent(name).path
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                templates[String(name.dropLast(".mustache".count))] = try MustacheTemplate(string: text)
            } catch {
                return .failure(LetterTemplatesMissing(detail: "\(path) cannot be used: \(error)"))
            }
        }
        return .success(templates)
    }
}

/// The letter's templates cannot be read: the installation is incomplete.
public struct LetterTemplatesMissing: Error, Sendable, CustomStringConvertible {
    public let detail: String

    public init(detail: String) { self.detail = detail }
    public var description: String { "the letterhead templates cannot be used (\(detail)): reinstall mezhved with its resources" }
}
