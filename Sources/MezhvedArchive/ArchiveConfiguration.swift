import Foundation
import MezhvedCore
import MezhvedXMLDSig

/// `archive.json`: what an archive is. It never holds a key: only the personal-data key's id and the
/// gateway's certificate (and, optionally, where the gateway's signing key file lives).
public struct ArchiveConfiguration: Sendable, Codable, Equatable {
    /// `mezhved-archive/1`.
    public var format: String
    /// The agency whose journal this is (directory id, e.g. `social-protection`).
    public var agency: String
    /// Number templates per direction.
    public var outgoingFormat: NumberFormat
    public var incomingFormat: NumberFormat
    /// The id of the personal-data key (``ArchiveDataKey/keyID``); never the key.
    public var dataKeyID: String
    /// The gateway's certificate (and its chain), PEM: the checkpoints are signed with its key.
    public var gatewayCertificate: String
    /// Where the gateway's signing key file is, when checkpoints are to be written automatically.
    public var gatewayKeyFile: String?
    /// A signed checkpoint every this many events.
    public var checkpointInterval: Int
    /// When the archive was created.
    public var created: String

    public static let currentFormat = "mezhved-archive/1"

    public init(
        agency: String, outgoingFormat: NumberFormat, incomingFormat: NumberFormat, dataKeyID: String, gatewayCertificate: String,
        gatewayKeyFile: String?, checkpointInterval: Int, created: Date = Date()
    ) {
        self.format = Self.currentFormat
        self.agency = agency
        self.outgoingFormat = outgoingFormat
        self.incomingFormat = incomingFormat
        self.dataKeyID = dataKeyID
        self.gatewayCertificate = gatewayCertificate
        self.gatewayKeyFile = gatewayKeyFile
        self.checkpointInterval = checkpointInterval
        self.created = ISOTime.string(created, milliseconds: true)
    }

    /// The number template for a direction.
    public func format(for direction: Direction) -> NumberFormat {
        direction == .outgoing ? outgoingFormat : incomingFormat
    }

    /// The gateway's certificates (signer first).
    public func gatewayCertificates() throws -> [Certificate] {
        try Certificate.loadPEM(Array(gatewayCertificate.utf8), source: "archive.json gatewayCertificate")
    }
}

/// The paths of an archive folder.
struct ArchiveLayout: Sendable {
    let root: String
    var configuration: String { root + "/archive.json" }
    var objects: String { root + "/objects" }
    var log: String { root + "/log" }
    var events: String { root + "/log/events.log" }
    var checkpoints: String { root + "/log/checkpoints" }
    var lock: String { root + "/lock" }
    var quarantine: String { root + "/quarantine" }

    func object(_ digest: String) -> String { "\(objects)/\(digest.prefix(2))/\(digest)" }

    static func checkpointName(_ seq: Int) -> String {
        let digits = String(seq)
        return String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".xml"
    }
}
