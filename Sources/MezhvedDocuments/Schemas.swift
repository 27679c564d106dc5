internal import CLibXML2
internal import CMezhvedShims
import Foundation
import MezhvedXMLDSig

/// A compiled XML schema: the one owner of a libxml2 `xmlSchema`, freed in `deinit`. A compiled
/// schema may be used by several validations at once (each has its own validation context).
final class CompiledSchema: @unchecked Sendable {
    private let schema: xmlSchemaPtr
    let file: String

    private init(schema: xmlSchemaPtr, file: String) {
        self.schema = schema
        self.file = file
    }

    deinit { xmlSchemaFree(schema) }

    /// Compiles the schema at `path`; its `xs:include`s are read from the same folder only.
    static func load(_ path: String) throws -> CompiledSchema {
        _ = mz_xml_allow_folder((path as NSString).deletingLastPathComponent)
        guard let parser = xmlSchemaNewParserCtxt(path) else {
            throw DocumentError(.schemaUnavailable, "the schema \(path) could not be opened", hint: "reinstall mezhved")
        }
        defer { xmlSchemaFreeParserCtxt(parser) }
        xmlSchemaSetParserStructuredErrors(parser, { _, _ in }, nil)
        guard let schema = xmlSchemaParse(parser) else {
            throw DocumentError(.schemaUnavailable, "the schema \(path) could not be compiled", hint: "reinstall mezhved")
        }
        return CompiledSchema(schema: schema, file: (path as NSString).lastPathComponent)
    }

    /// Validates `tree` and returns every violation with its line and element path.
    func violations(of tree: XMLTree) -> [DocumentProblem] {
        guard let context = xmlSchemaNewValidCtxt(schema) else {
            return [DocumentProblem(path: "/", message: "libxml2 could not create a validation context")]
        }
        defer { xmlSchemaFreeValidCtxt(context) }
        let box = ViolationBox()
        let unmanaged = Unmanaged.passRetained(box)
        defer { unmanaged.release() }
        xmlSchemaSetValidStructuredErrors(context, collectViolation, unmanaged.toOpaque())
        let result = xmlSchemaValidateDoc(context, tree.doc)
        if result != 0 && box.problems.isEmpty {
            box.problems.append(DocumentProblem(path: "/", message: "the document does not match \(file)"))
        }
        return box.problems
    }
}

private final class ViolationBox {
    var problems: [DocumentProblem] = []
}

private let collectViolation: xmlStructuredErrorFunc = { userData, error in
    guard let userData, let error else { return }
    let box = Unmanaged<ViolationBox>.fromOpaque(userData).takeUnretainedValue()
    var message = error.pointee.message.map { String(cString: $0) } ?? "schema violation"
    message = message.trimmingCharacters(in: .whitespacesAndNewlines)
    // libxml2 names elements as "{namespace}Name": keep just the name for people.
    message = message.replacingOccurrences(of: "{\(interagencyNamespace)}", with: "")
    var path = "/"
    if let node = error.pointee.node {
        let element = node.assumingMemoryBound(to: xmlNode.self)
        if element.pointee.type == XML_ELEMENT_NODE { path = element.path.replacingOccurrences(of: "/", with: "/") }
    }
    box.problems.append(DocumentProblem(path: path, message: message, line: error.pointee.line > 0 ? Int(error.pointee.line) : nil))
}

/// mezhved's document schemas, compiled once per process.
enum DocumentSchemas {
    /// The folder holding the shipped `.xsd` files.
    static var folder: String? {
        Bundle.module.url(forResource: "mezhved-common-1.0", withExtension: "xsd", subdirectory: "Resources/schemas")?
            .deletingLastPathComponent().path
    }

    private static let compiled: Result<[DocumentKind: CompiledSchema], DocumentError> = {
        guard let folder else {
            return .failure(
                DocumentError(.schemaUnavailable, "mezhved's document schemas are missing from its resources", hint: "reinstall mezhved"))
        }
        var result: [DocumentKind: CompiledSchema] = [:]
        do {
            for kind in DocumentKind.allCases {
                result[kind] = try CompiledSchema.load((folder as NSString).appendingPathComponent(kind.schemaFile))
            }
        } catch let error as DocumentError {
            return .failure(error)
        } catch {
            return .failure(DocumentError(.schemaUnavailable, "\(error)"))
        }
        return .success(result)
    }()

    static func schema(for kind: DocumentKind) throws -> CompiledSchema {
        switch compiled {
        case .success(let schemas): return schemas[kind]!
        case .failure(let error): throw error
        }
    }
}
