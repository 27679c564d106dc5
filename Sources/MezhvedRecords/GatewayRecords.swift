import Foundation
import MezhvedArchive
import MezhvedDocuments
import MezhvedGateway

extension Gateway {
    /// The recorder of this gateway's facts over its archive's registrar, with the person key the
    /// configuration names (`archive.personKey`).
    public func recorder(over archive: ArchiveFolder) throws -> Recorder {
        guard let path = configuration.archive.personKey else {
            throw RecordsError(
                .personKeyMissing, "the gateway configuration \(configuration.source) names no person key (archive.personKey)",
                hint: "make one with `openssl rand -out person.key 32` (0600, outside the archive) and name it in archive.personKey")
        }
        return Recorder(registrar: archive.registrar, personKey: try PersonKey.load(contentsOf: path), directory: documents.directory)
    }

    /// The record of target-group children over this gateway's archive (the person key as for ``recorder(over:)``).
    public func childrenRecord(over archive: ArchiveFolder) throws -> ChildrenRecord {
        let recorder = try recorder(over: archive)
        return ChildrenRecord(registrar: recorder.registrar, personKey: recorder.personKey, directory: documents.directory)
    }

    /// The report builder over this gateway's archive, with its calendar and fallback.
    public func reportBuilder(over archive: ArchiveFolder) -> ReportBuilder {
        ReportBuilder(storage: archive.storage, directory: documents.directory, calendar: documents.calendar, fallback: documents.fallback)
    }
}
