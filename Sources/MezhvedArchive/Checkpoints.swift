internal import CLibXML2
import Foundation
import MezhvedXMLDSig

/// A signed checkpoint of the event log's head: `<Checkpoint seq head count time previous/>`
/// in `urn:mezhved:archive:1.0`, signed (enveloped XMLDSig) with the gateway's key. `previous` is
/// the SHA-256 of the previous checkpoint file, so checkpoints form a chain of their own.
public struct Checkpoint: Sendable, Codable, Equatable {
    public init(seq: Int, head: String, count: Int, time: String, previous: String, agency: String) {
        self.seq = seq
        self.head = head
        self.count = count
        self.time = time
        self.previous = previous
        self.agency = agency
    }

    /// The log sequence number the checkpoint covers (inclusive).
    public let seq: Int
    /// The hash of log entry `seq`.
    public let head: String
    /// How many log entries the checkpoint covers (equals `seq`).
    public let count: Int
    public let time: String
    /// SHA-256 (hex) of the previous checkpoint file, or 64 zeros for the first.
    public let previous: String
    public let agency: String

    /// The XML namespace of checkpoints.
    public static let namespace = "urn:mezhved:archive:1.0"

    /// The unsigned checkpoint document.
    public func unsignedXML() -> [UInt8] {
        Array(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Checkpoint xmlns="\(Self.namespace)" Id="checkpoint" agency="\(agency)" seq="\(seq)" count="\(count)" head="\(head)" previous="\(previous)" time="\(time)"/>

            """.utf8)
    }

    /// Reads a checkpoint document's attributes (the signature is checked separately).
    public static func read(_ bytes: [UInt8], sourceName: String) throws -> Checkpoint {
        let tree = try XMLTree.parse(bytes, sourceName: sourceName, limits: XMLParsingLimits(maxBytes: 1 << 20))
        let root = tree.root
        guard root.isElement("Checkpoint", namespace: namespace), let seq = Int(root.attribute("seq") ?? ""),
            let count = Int(root.attribute("count") ?? ""), let head = root.attribute("head"), let previous = root.attribute("previous"),
            let time = root.attribute("time")
        else {
            throw ArchiveError(.integrityBroken, "\(sourceName) is not a checkpoint", hint: "run `mezhved archive audit`")
        }
        return Checkpoint(seq: seq, head: head, count: count, time: time, previous: previous, agency: root.attribute("agency") ?? "")
    }
}
