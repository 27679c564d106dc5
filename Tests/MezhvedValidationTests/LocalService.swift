import Foundation
import Testing

/// Paths of the repository, for fixtures.
enum Repository {
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-validation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The Python with the interop packages: `MEZHVED_PYTHON`, else the set-up script's virtualenv,
    /// else `python3`.
    static var python: String {
        if let configured = ProcessInfo.processInfo.environment["MEZHVED_PYTHON"] { return configured }
        let venv = path(".venv-interop/bin/python")
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3"
    }
}
