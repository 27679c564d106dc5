import Foundation

/// A record of personal data kept as an archive object, sealed whole with the archive's personal-data
/// key (AES-256-GCM, as quarantined documents are: `mezhved-sealed/1 <key id>\n` and IV ‖ ciphertext ‖
/// tag). The records of target-group children are kept so; the journal names the object by its digest.
public enum SealedRecord {
    /// The sealed form of `plaintext`.
    public static func seal(_ plaintext: [UInt8], key: ArchiveDataKey) throws -> [UInt8] { try QuarantineSeal.seal(plaintext, key: key) }

    /// The plaintext of a sealed object. Throws `dataKeyUnusable` for another key, `integrityBroken`
    /// when the ciphertext was altered (the GCM tag does not verify).
    public static func open(_ sealed: [UInt8], key: ArchiveDataKey) throws -> [UInt8] { try QuarantineSeal.open(sealed, key: key) }
}
