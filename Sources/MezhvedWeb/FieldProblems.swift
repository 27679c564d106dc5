import MezhvedDocuments

/// A draft's problems handed out to the form's fields: each field takes the problems at its path
/// (or below it), in the library's Russian; what no field took is shown above the form, under
/// the Russian name of the part of the document it belongs to.
struct FieldProblems {
    private let problems: [DocumentProblem]
    private var taken = Set<Int>()

    init(_ problems: [DocumentProblem]) { self.problems = problems }

    var isEmpty: Bool { problems.isEmpty }

    /// The messages at `path` or below it (`compiler` takes `compiler.phone`, `legalBasis` takes
    /// `legalBasis[0].clause`); each problem is taken once.
    mutating func take(_ path: String) -> [String] {
        var found: [String] = []
        for (index, problem) in problems.enumerated() where !taken.contains(index) && Self.covers(path, problem.path) {
            taken.insert(index)
            found.append(problem.messageForClerk)
        }
        return found
    }

    /// The problems no field took, each led by the Russian name of its part of the document.
    func rest() -> [String] {
        problems.enumerated().filter { !taken.contains($0.offset) }.map { _, problem in
            let part = Self.partNames.first { Self.covers($0.path, problem.path) }?.name
            return part.map { "\($0): \(problem.messageForClerk)" } ?? problem.messageForClerk
        }
    }

    static func covers(_ path: String, _ problemPath: String) -> Bool {
        problemPath == path || problemPath.hasPrefix(path + ".") || problemPath.hasPrefix(path + "[")
    }

    /// The parts of a document a problem can belong to without a field on the page.
    static let partNames: [(path: String, name: String)] = [
        ("signatory", "Подписант"), ("sender", "Отправитель"), ("recipient", "Получатель"), ("letterhead", "Бланк"),
        ("contactForAnswer", "Контакты для ответа"), ("personalData", "Сведения о лицах"), ("consent", "Согласие"),
        ("legalBasis", "Правовое основание"), ("inReplyTo", "Запрос"), ("provided", "Предоставляемые сведения"),
        ("refusal", "Отказ"), ("compiler", "Исполнитель"), ("registration", "Регистрация"),
    ]
}
