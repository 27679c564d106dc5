internal import COpenSSL
import Foundation
import MezhvedXMLDSig
import Synchronization

/// A fetched CRL and when it was fetched.
struct CachedCRL: Sendable {
    let crl: CRL
    let fetchedAt: Date
}

/// The CRLs fetched from distribution points, by URL: in memory, and in a folder when one is
/// configured (files 0600 named by the URL's SHA-256, so that a restarted gateway does not fetch
/// every CRL again). Thread-safe. Whether an entry is fresh is the caller's decision; every use
/// verifies the CRL again against the issuer, so a file planted in the folder proves nothing.
/// The folder is read and written on a thread of the cache's own, not on the caller's.
final class CRLCache: Sendable {
    private let entries = Mutex<[String: CachedCRL]>([:])
    private let folder: String?
    private let files = BlockingThreads(name: "mezhved.crl-cache", maximumThreads: 1)

    init(folder: String?) { self.folder = folder }

    /// The CRL cached for `url`, from memory or else from the folder.
    func lookup(_ url: String) async -> CachedCRL? {
        if let entry = entries.withLock({ $0[url] }) { return entry }
        guard let path = path(for: url) else { return nil }
        let read = try? await files.run { () -> CachedCRL? in
            guard let data = FileManager.default.contents(atPath: path),
                let crl = try? CRL.parse([UInt8](data), origin: url).first
            else { return nil }
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? nil
            return CachedCRL(crl: crl, fetchedAt: modified ?? Date.distantPast)
        }
        guard let entry = read ?? nil else { return nil }
        // A CRL stored meanwhile (fetched by another check) is newer than the file's.
        return entries.withLock { entries in
            if let stored = entries[url] { return stored }
            entries[url] = entry
            return entry
        }
    }

    /// Keeps `entry` for `url`, in memory and (best effort: a cache that cannot be written only
    /// costs a fetch) in the folder, written atomically with mode 0600.
    func store(_ url: String, _ entry: CachedCRL) async {
        entries.withLock { $0[url] = entry }
        guard let path = path(for: url) else { return }
        let der = entry.crl.der
        _ = try? await files.run {
            let temporary = path + ".\(UUID().uuidString).tmp"
            let created = FileManager.default.createFile(atPath: temporary, contents: Data(der), attributes: [.posixPermissions: 0o600])
            if created, rename(temporary, path) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
        }
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
