internal import COpenSSL
import Foundation
import MezhvedXMLDSig

/// A fetched CRL and when it was fetched.
struct CachedCRL: Sendable {
    let crl: CRL
    let fetchedAt: Date
}

/// The CRLs fetched from distribution points, by URL: in memory, and in a folder when one is
/// configured (files 0600 named by the URL's SHA-256, so that a restarted gateway does not fetch
/// every CRL again). Thread-safe. Whether an entry is fresh is the caller's decision; every use
/// verifies the CRL again against the issuer, so a file planted in the folder proves nothing.
final class CRLCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: CachedCRL] = [:]
    private let folder: String?

    init(folder: String?) { self.folder = folder }

    /// The CRL cached for `url`, from memory or else from the folder.
    func lookup(_ url: String) -> CachedCRL? {
        lock.lock()
        defer { lock.unlock() }
        if let entry = entries[url] { return entry }
        guard let path = path(for: url), let data = FileManager.default.contents(atPath: path),
            let crl = try? CRL.parse([UInt8](data), origin: url).first
        else { return nil }
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? nil
        let entry = CachedCRL(crl: crl, fetchedAt: modified ?? Date.distantPast)
        entries[url] = entry
        return entry
    }

    /// Keeps `entry` for `url`, in memory and (best effort: a cache that cannot be written only
    /// costs a fetch) in the folder, written atomically with mode 0600.
    func store(_ url: String, _ entry: CachedCRL) {
        lock.lock()
        defer { lock.unlock() }
        entries[url] = entry
        guard let path = path(for: url) else { return }
        let temporary = path + ".\(UUID().uuidString).tmp"
        let created = FileManager.default.createFile(
            atPath: temporary, contents: Data(entry.crl.der), attributes: [.posixPermissions: 0o600])
        if created, rename(temporary, path) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
    }

    /// The cache file of `url`.
    func path(for url: String) -> String? {
        guard let folder else { return nil }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let bytes = Array(url.utf8)
        EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil)
        return (folder as NSString).appendingPathComponent(hexString(digest) + ".crl")
    }
}
