/// Passphrase files: the first line of a small file, without its line end.
public enum PassphraseFile {
    /// The largest passphrase file read.
    public static let maximumSize = 4096

    /// The passphrase in `path`, or why it cannot be had (a text to follow the file's name).
    public static func read(_ path: String) -> Result<[UInt8], PassphraseFileFailure> {
        switch BoundedRead.contents(of: path, limit: maximumSize) {
        case .success(let bytes):
            let line = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
            return .success(Array(line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...]))
        case .failure(.missing): return .failure(PassphraseFileFailure("does not exist"))
        case .failure(.folder): return .failure(PassphraseFileFailure("is a folder, not a file"))
        case .failure(.unreadable(let reason)): return .failure(PassphraseFileFailure("cannot be read: \(reason)"))
        case .failure(.tooLarge(let limit)): return .failure(PassphraseFileFailure("is larger than \(limit) bytes: not a passphrase file"))
        }
    }
}

/// Why a passphrase file cannot be read, as words that follow the file's name.
public struct PassphraseFileFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
