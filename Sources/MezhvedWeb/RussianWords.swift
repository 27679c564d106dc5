import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedValidation

/// The pages' words for the library's values.
enum RussianWords {
    static func role(_ role: AccessRole) -> String {
        switch role {
        case .clerk: return "делопроизводитель"
        case .signatory: return "подписант"
        case .auditor: return "аудитор"
        case .admin: return "администратор"
        }
    }

    static func personRole(_ role: PersonRole) -> String {
        switch role {
        case .subject: return "заявитель"
        case .child: return "ребенок"
        case .parent: return "родитель"
        case .legalRepresentative: return "законный представитель"
        }
    }

    static func status(_ status: EntryStatus) -> String {
        switch status {
        case .reserved: return "номер зарезервирован"
        case .registered: return "зарегистрирован"
        case .sent: return "отправлен"
        case .delivered: return "доставлен"
        case .answered: return "ответ получен"
        case .rejected: return "отклонён получателем"
        case .overdue: return "просрочен"
        case .voided: return "номер аннулирован"
        }
    }

    /// What the entry's status says about delivery (outgoing documents only).
    static func delivery(_ entry: JournalEntry, status: EntryStatus) -> String {
        guard entry.direction == .outgoing else { return entry.acknowledgedBy.isEmpty ? "—" : "квитанция направлена" }
        switch status {
        case .registered: return "не доставлен"
        case .sent: return "отправлен, квитанции нет"
        case .delivered, .answered: return "доставлен (квитанция)"
        case .rejected: return "отклонён (квитанция)"
        default: return entry.acknowledgedBy.isEmpty ? "—" : "доставлен (квитанция)"
        }
    }

    static func message(_ state: MessageState) -> String {
        switch state {
        case .queued: return "в очереди"
        case .sending: return "отправляется"
        case .waitingForReceipt: return "ждёт квитанции"
        case .waitingForRetry: return "повторная попытка"
        case .receipted: return "квитанция получена"
        case .rejected: return "отклонено"
        default: return state.rawValue
        }
    }

    static func kind(_ kind: DocumentKind?) -> String {
        switch kind {
        case .request: return "запрос"
        case .answer: return "ответ"
        case .receipt: return "квитанция"
        case .note: return "аналитическая справка"
        default: return kind?.rawValue ?? "—"
        }
    }

    static func direction(_ direction: Direction) -> String { direction == .outgoing ? "исходящий" : "входящий" }

    static func indication(_ indication: Indication) -> String {
        switch indication {
        case .totalPassed: return "подпись действительна (TOTAL-PASSED)"
        case .totalFailed: return "подпись недействительна (TOTAL-FAILED)"
        case .indeterminate: return "действительность не установлена (INDETERMINATE)"
        }
    }

    /// The four conditions of 63-FZ art. 11, in the law's Russian words.
    static func condition(_ id: String, fallback: String) -> String {
        switch id {
        case "accredited-ca":
            return "Сертификат создан и выдан аккредитованным удостоверяющим центром (п. 1 ст. 11 63-ФЗ)"
        case "valid-at-signing":
            return "Сертификат действителен на момент подписания (п. 1 ст. 11 63-ФЗ)"
        case "signature-verified":
            return "Подтверждена подлинность подписи и отсутствие изменений документа после подписания (п. 2 ст. 11 63-ФЗ)"
        case "within-limitations":
            return "Подпись используется с учётом ограничений, указанных в сертификате (п. 3 ст. 11 63-ФЗ)"
        default: return fallback
        }
    }

    /// An ISO time as a Moscow date: "02.03.2026".
    static func day(_ iso: String?) -> String {
        guard let iso, let date = ISOTime.dateOrDay(iso) else { return "—" }
        return CalendarDay(iso: ISOTime.agencyDayString(date))?.russian ?? iso
    }

    /// An ISO time as "02.03.2026 10:47" in Moscow time.
    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "ru_RU")
        formatter.timeZone = TimeZone(identifier: "Europe/Moscow")
        formatter.dateFormat = "dd.MM.yyyy HH:mm"
        return formatter.string(from: date)
    }

    static func isoDay(_ iso: String?) -> String {
        guard let iso, let day = CalendarDay(iso: iso) else { return iso ?? "—" }
        return day.russian
    }
}
