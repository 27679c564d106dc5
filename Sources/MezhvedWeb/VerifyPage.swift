import Foundation
import Hummingbird
import MezhvedDocuments
import MezhvedGateway
import MezhvedValidation

/// `/ui/verify`: any signed XML file checked by the gateway's qualified validator (the same
/// policy as for incoming documents), its report in words; nothing is registered or kept.
extension WebSite {
    struct VerifyModel {
        let csrf: String
        let fileName: String?
        let report: ReportModel?
        let document: String?
    }

    func verifyForm(person: SignedInPerson) -> Response {
        respond(
            "verify", VerifyModel(csrf: person.csrfToken, fileName: nil, report: nil, document: nil), title: "Проверить файл",
            person: person)
    }

    func verify(_ form: WebForm, person: SignedInPerson) async throws -> Response {
        guard let bytes = form.files["file"], !bytes.isEmpty else {
            throw WebRefusal(.badRequest, "Выберите файл подписанного документа (XML) и нажмите «Проверить».")
        }
        let name = String((form.fileNames["file"].flatMap { $0.isEmpty ? nil : $0 } ?? "загруженный файл").prefix(120))
        let checked = try await gateway.validator.validateReading(bytes, sourceName: name)
        var sheet: String?
        if let document = checked.signedDocument?.parsed {
            let report = checked.report
            let mark = report.signer.map {
                SignatureMark(
                    certificateSerial: $0.serialNumber, owner: $0.commonName ?? $0.subject, organization: $0.organization,
                    validFrom: $0.notBefore, validTo: $0.notAfter,
                    verification: report.indication == .totalPassed
                        ? "VALID" : (report.indication == .totalFailed ? "INVALID" : "INDETERMINATE"),
                    checkedAt: report.validationTime)
            }
            sheet = DocumentRenderer.sheet(document, signature: mark, redactPersonalData: true)
        }
        return respond(
            "verify", VerifyModel(csrf: person.csrfToken, fileName: name, report: ReportModel(checked.report), document: sheet),
            title: "Проверить файл", person: person)
    }
}
