import Foundation
import MezhvedDocuments
import Mustache

/// The pages' templates (`Resources/templates`, swift-mustache, HTML-escaped by default) and the
/// letterhead's (``LetterTemplates``) in one library, so that a page embeds the very letter the
/// printed form shows (`{{> letter}}`).
public struct WebTemplates: Sendable {
    let library: MustacheLibrary
    /// The pages' style sheet (`web.css`).
    let css: String

    /// Reads the templates from the module's resources; throws when they are not installed.
    public static func load() throws -> WebTemplates {
        guard let folder = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources") else {
            throw LetterTemplatesMissing(detail: "the folder Resources/templates of the pages is not in mezhved's resources")
        }
        var templates = try LetterTemplates.loaded.get()
        var css = ""
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() {
            let path = folder.appendingPathComponent(name).path
            if name == "web.css" {
                css = try String(contentsOfFile: path, encoding: .utf8)
            } else if name.hasSuffix(".mustache") {
                templates[String(name.dropLast(".mustache".count))] = try MustacheTemplate(
                    string: String(contentsOfFile: path, encoding: .utf8))
            }
        }
        return WebTemplates(library: MustacheLibrary(templates: templates), css: css)
    }

    /// `template` rendered with `model`, inside the layout (title, navigation, the person).
    func page(_ template: String, _ model: Any, layout: LayoutModel) -> String {
        var layout = layout
        layout.content = library.render(model, withTemplate: template) ?? ""
        return library.render(layout, withTemplate: "layout") ?? ""
    }
}

/// What every page shows around its content.
struct LayoutModel {
    var title: String
    var person: PersonModel?
    var nav: [NavItem]
    var content = ""
    /// Seconds after which the page reloads itself (`<meta http-equiv="refresh">`), when set.
    var refresh: String?

    struct PersonModel {
        var personName: String
        var roleTitle: String
        var csrf: String
    }

    struct NavItem {
        var href: String
        var label: String
        var current: Bool
    }
}
