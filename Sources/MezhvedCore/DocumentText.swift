/// Strings taken from a document as they may appear in a message, problem or report.
public enum DocumentText {
    /// The most characters of one document-supplied string a message repeats.
    public static let messageLimit = 200

    /// `text` (an Algorithm URI, a reference URI, an Id, an element name, any string the document's
    /// author chose) cut for a message, a problem or a report: whole when it has at most
    /// `messageLimit` characters, else its first `messageLimit` characters followed by
    /// "… (N characters)", N being its whole length. A hostile document's 1 MB Algorithm URI is
    /// then never echoed whole, into logs or to the person reading the report.
    public static func cut(_ text: some StringProtocol) -> String {
        // UTF-8 length first: O(1) for native strings, and never fewer than the characters.
        if text.utf8.count <= messageLimit { return String(text) }
        let count = text.count
        if count <= messageLimit { return String(text) }
        return "\(text.prefix(messageLimit))… (\(count) characters)"
    }
}
