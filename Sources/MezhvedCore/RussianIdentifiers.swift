/// Checks of Russian registration numbers: SNILS (individual insurance account number), OGRN and
/// OGRNIP (state registration numbers of legal entities and individual entrepreneurs), INN (taxpayer
/// number) and KPP (tax registration reason code).
///
/// Every check returns `nil` for a valid value and otherwise one English sentence saying what is
/// wrong, so that a form validator can put it straight into a document problem. A SNILS is
/// personal data: its messages never repeat the number itself.
public enum RussianIdentifiers {

    // MARK: SNILS

    /// The largest SNILS number without a checksum: check digits are only defined above 001-001-998.
    private static let snilsUncheckedMax = 1_001_998

    /// `nil` when `s` is a valid SNILS written as `XXX-XXX-XXX YY` or as 11 digits; otherwise the problem.
    ///
    /// The check number is the sum of the first nine digits weighted 9, 8, …, 1: below 100 it is the
    /// sum itself; 100 and 101 give 00; above 101 it is the sum modulo 101, where 100 again gives 00.
    /// Numbers up to 001-001-998 have no check number, so any two check digits are accepted there.
    public static func snilsProblem(_ s: String) -> String? {
        snilsCheck(s)?.message
    }

    /// ``snilsProblem(_:)`` in Russian, for a clerk's form (the same check, the same cases).
    public static func snilsProblemInRussian(_ s: String) -> String? {
        snilsCheck(s)?.russian
    }

    private static func snilsCheck(_ s: String) -> SNILSFormatProblem? {
        let digits: [Int]
        switch parseSNILS(s) {
        case .success(let parsed): digits = parsed
        case .failure(let problem): return problem
        }
        let body = digits.prefix(9).reduce(0) { $0 * 10 + $1 }
        if body <= snilsUncheckedMax { return nil }
        let given = digits[9] * 10 + digits[10]
        let expected = snilsCheckNumber(Array(digits.prefix(9)))
        if given != expected {
            return SNILSFormatProblem(
                message: "SNILS check digits are \(twoDigits(given)), expected \(twoDigits(expected))",
                russian:
                    "контрольное число СНИЛС \(twoDigits(given)) не сходится с номером (должно быть \(twoDigits(expected))); проверьте номер"
            )
        }
        return nil
    }

    /// The SNILS in the canonical form `XXX-XXX-XXX YY`, or `nil` when `s` is not a valid SNILS
    /// (see ``snilsProblem(_:)``).
    public static func normalizedSNILS(_ s: String) -> String? {
        guard snilsProblem(s) == nil, case .success(let digits) = parseSNILS(s) else { return nil }
        let text = digits.map(String.init).joined()
        let chars = Array(text)
        return "\(String(chars[0..<3]))-\(String(chars[3..<6]))-\(String(chars[6..<9])) \(String(chars[9..<11]))"
    }

    private struct SNILSFormatProblem: Error {
        let message: String
        let russian: String
    }

    /// The 11 digits of a SNILS written as `XXX-XXX-XXX YY` or as 11 plain digits.
    private static func parseSNILS(_ s: String) -> Result<[Int], SNILSFormatProblem> {
        if s.isEmpty {
            return .failure(
                SNILSFormatProblem(message: "SNILS is empty: it must have 11 digits", russian: "СНИЛС не заполнен: в нем 11 цифр"))
        }
        let chars = Array(s)
        let allowed = chars.allSatisfy { digitValue($0) != nil || $0 == "-" || $0 == " " }
        if !allowed {
            return .failure(
                SNILSFormatProblem(
                    message: "SNILS may contain only digits, hyphens and one space (XXX-XXX-XXX YY or 11 digits)",
                    russian: "в СНИЛС допустимы только цифры, дефисы и один пробел (XXX-XXX-XXX YY или 11 цифр подряд)"))
        }
        let digits = chars.compactMap(digitValue)
        if digits.count != 11 {
            return .failure(
                SNILSFormatProblem(
                    message: "SNILS must have 11 digits, this one has \(digits.count)",
                    russian: "в СНИЛС 11 цифр, а здесь \(digits.count)"))
        }
        if chars.count == 11 { return .success(digits) }
        // Written form: three groups of three digits joined by hyphens, a space, two check digits.
        let pattern: [Character?] = [nil, nil, nil, "-", nil, nil, nil, "-", nil, nil, nil, " ", nil, nil]
        let matches =
            chars.count == pattern.count
            && zip(chars, pattern).allSatisfy { char, expected in
                expected.map { char == $0 } ?? (digitValue(char) != nil)
            }
        if !matches {
            return .failure(
                SNILSFormatProblem(
                    message: "SNILS must be written as XXX-XXX-XXX YY or as 11 digits without separators",
                    russian: "СНИЛС записывается как XXX-XXX-XXX YY или 11 цифрами без разделителей"))
        }
        return .success(digits)
    }

    /// The two-digit check number of a SNILS from its first nine digits.
    private static func snilsCheckNumber(_ digits: [Int]) -> Int {
        var sum = 0
        for (index, digit) in digits.enumerated() { sum += digit * (9 - index) }
        if sum < 100 { return sum }
        if sum == 100 || sum == 101 { return 0 }
        let rest = sum % 101
        return rest == 100 ? 0 : rest
    }

    // MARK: OGRN, OGRNIP

    /// `nil` when `s` is a valid OGRN (13 digits, first digit 1 or 5) or OGRNIP (15 digits, first
    /// digit 3); otherwise the problem.
    ///
    /// OGRN: the last digit is (the first 12 digits as a number mod 11) mod 10. OGRNIP: the last
    /// digit is (the first 14 digits as a number mod 13) mod 10.
    public static func ogrnProblem(_ s: String) -> String? {
        guard let digits = plainDigits(s) else {
            return "OGRN \"\(s)\" must consist of digits only (13 digits; OGRNIP: 15)"
        }
        let modulus: Int
        switch digits.count {
        case 13:
            guard digits[0] == 1 || digits[0] == 5 else {
                return "OGRN \"\(s)\" must start with 1 or 5 (a legal entity's OGRN), not \(digits[0])"
            }
            modulus = 11
        case 15:
            guard digits[0] == 3 else {
                return "OGRNIP \"\(s)\" must start with 3 (an individual entrepreneur's OGRNIP), not \(digits[0])"
            }
            modulus = 13
        default:
            return "OGRN \"\(s)\" must have 13 digits (OGRNIP: 15), it has \(digits.count)"
        }
        let name = digits.count == 13 ? "OGRN" : "OGRNIP"
        let number = digits.dropLast().reduce(0) { ($0 * 10 + $1) % modulus }
        let expected = number % 10
        if digits[digits.count - 1] != expected {
            return "\(name) \(s) check digit is \(digits[digits.count - 1]), expected \(expected)"
        }
        return nil
    }

    // MARK: INN

    private static let innLegalWeights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    private static let innPersonFirstWeights = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    private static let innPersonSecondWeights = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]

    /// `nil` when `s` is a valid INN: 10 digits for a legal entity, 12 digits for an individual;
    /// otherwise the problem.
    ///
    /// A legal entity's check digit is the weighted sum of the first nine digits (weights 2, 4, 10,
    /// 3, 5, 9, 4, 6, 8) mod 11 mod 10. An individual's INN has two check digits: the 11th from the
    /// first ten digits (weights 7, 2, 4, 10, 3, 5, 9, 4, 6, 8), the 12th from the first eleven
    /// (weights 3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8), each mod 11 mod 10.
    public static func innProblem(_ s: String) -> String? {
        guard let digits = plainDigits(s) else {
            return "INN \"\(s)\" must consist of digits only (10 for a legal entity, 12 for an individual)"
        }
        switch digits.count {
        case 10:
            let expected = checkDigit(digits, innLegalWeights)
            if digits[9] != expected { return "INN \(s) check digit is \(digits[9]), expected \(expected)" }
            return nil
        case 12:
            let first = checkDigit(digits, innPersonFirstWeights)
            let second = checkDigit(Array(digits.prefix(10)) + [first], innPersonSecondWeights)
            if digits[10] != first || digits[11] != second {
                return "INN \(s) check digits are \(digits[10])\(digits[11]), expected \(first)\(second)"
            }
            return nil
        default:
            return "INN \"\(s)\" must have 10 digits (legal entity) or 12 digits (individual), it has \(digits.count)"
        }
    }

    /// Weighted sum of the leading digits mod 11 mod 10.
    private static func checkDigit(_ digits: [Int], _ weights: [Int]) -> Int {
        zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11 % 10
    }

    // MARK: KPP

    /// `nil` when `s` is a valid KPP; otherwise the problem.
    ///
    /// A KPP has 9 characters: the tax office code (4 digits), the registration reason (2 digits or
    /// capital Latin letters A–Z) and a serial number (3 digits). It has no check digit.
    public static func kppProblem(_ s: String) -> String? {
        let chars = Array(s)
        guard chars.count == 9 else { return "KPP \"\(s)\" must have 9 characters, it has \(chars.count)" }
        for (index, char) in chars.enumerated() {
            let isDigit = digitValue(char) != nil
            if index == 4 || index == 5 {
                let isLatinCapital = char.isASCII && char >= "A" && char <= "Z"
                if !isDigit && !isLatinCapital {
                    return "KPP \"\(s)\" character \(index + 1) must be a digit or a capital Latin letter A–Z"
                }
            } else if !isDigit {
                return "KPP \"\(s)\" character \(index + 1) must be a digit (only characters 5–6 may be letters A–Z)"
            }
        }
        return nil
    }

    // MARK: Helpers

    private static func digitValue(_ char: Character) -> Int? {
        guard char.isASCII, let value = char.wholeNumberValue else { return nil }
        return value
    }

    /// The digits of `s` when it is a non-empty string of ASCII digits only.
    private static func plainDigits(_ s: String) -> [Int]? {
        let digits = s.compactMap(digitValue)
        return !digits.isEmpty && digits.count == s.count ? digits : nil
    }

    private static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
