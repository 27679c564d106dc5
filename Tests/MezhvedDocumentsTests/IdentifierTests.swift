import MezhvedCore
import MezhvedDocuments
import Testing

/// SNILS, OGRN, OGRNIP, INN and KPP checks, with check digits worked out by hand in the comments.
@Suite struct IdentifierTests {

    // MARK: SNILS

    @Test func snilsAcceptsBothWrittenForms() {
        // 1·9 + 1·8 + 2·7 + 2·6 + 3·5 + 3·4 + 4·3 + 4·2 + 5·1 = 95 < 100 → check number 95.
        #expect(RussianIdentifiers.snilsProblem("112-233-445 95") == nil)
        #expect(RussianIdentifiers.snilsProblem("11223344595") == nil)
        // 1·9 + 2·8 + 3·7 + 4·6 + 5·5 + 6·4 + 7·3 + 8·2 + 9·1 = 165 > 101 → 165 mod 101 = 64.
        #expect(RussianIdentifiers.snilsProblem("123-456-789 64") == nil)
        // The test PKI's other signers.
        for snils in ["22334455639", "33445566784", "44556677828", "55667788973", "66778899007"] {
            #expect(RussianIdentifiers.snilsProblem(snils) == nil, "\(snils)")
        }
    }

    @Test func snilsChecksumEdgeCases() {
        // 0·9 + 5·8 + 0·7 + 2·6 + 3·5 + 4·4 + 3·3 + 1·2 + 6·1 = 100 → 00.
        #expect(RussianIdentifiers.snilsProblem("050-234-316 00") == nil)
        // 0·9 + 1·8 + 6·7 + 1·6 + 0·5 + 3·4 + 3·3 + 9·2 + 6·1 = 101 → 00.
        #expect(RussianIdentifiers.snilsProblem("016-103-396 00") == nil)
        // 8·9 + 2·8 + 0·7 + 9·6 + 8·5 + 1·4 + 2·3 + 3·2 + 3·1 = 201 → 201 mod 101 = 100 → 00.
        #expect(RussianIdentifiers.snilsProblem("820-981-233 00") == nil)
        #expect(RussianIdentifiers.snilsProblem("820-981-233 01") == "SNILS check digits are 01, expected 00")
        // 0·9 + 0·8 + 1·7 + 0·6 + 0·5 + 1·4 + 9·3 + 9·2 + 9·1 = 65: the first number that is checked.
        #expect(RussianIdentifiers.snilsProblem("001-001-999 65") == nil)
        #expect(RussianIdentifiers.snilsProblem("001-001-999 66") == "SNILS check digits are 66, expected 65")
        // Up to 001-001-998 numbers have no check number.
        #expect(RussianIdentifiers.snilsProblem("001-001-998 42") == nil)
    }

    @Test func snilsKnownBad() {
        #expect(RussianIdentifiers.snilsProblem("112-233-445 94") == "SNILS check digits are 94, expected 95")
        #expect(RussianIdentifiers.snilsProblem("123-456-789 65") == "SNILS check digits are 65, expected 64")
        #expect(RussianIdentifiers.snilsProblem("1122334459") == "SNILS must have 11 digits, this one has 10")
        #expect(RussianIdentifiers.snilsProblem("") == "SNILS is empty: it must have 11 digits")
        #expect(
            RussianIdentifiers.snilsProblem("112-233-445-95")
                == "SNILS must be written as XXX-XXX-XXX YY or as 11 digits without separators")
        #expect(RussianIdentifiers.snilsProblem("112 233 445 95") != nil)
        #expect(
            RussianIdentifiers.snilsProblem("112-233-445 9O")
                == "SNILS may contain only digits, hyphens and one space (XXX-XXX-XXX YY or 11 digits)")
        // Personal data: a message never repeats the number.
        #expect(RussianIdentifiers.snilsProblem("11223344594")?.contains("112233445") == false)
    }

    @Test("each SNILS problem has its Russian text for the clerk's form, with the same verdict and without the number")
    func snilsInRussian() {
        for snils in ["112-233-445 94", "1122334459", "", "112-233-445-95", "112-233-445 9O", "11223344594"] {
            let russian = RussianIdentifiers.snilsProblemInRussian(snils)
            #expect(russian != nil && RussianIdentifiers.snilsProblem(snils) != nil, "\(snils)")
            #expect(russian?.contains("112233445") == false && russian?.contains("112-233-445") == false)
        }
        #expect(
            RussianIdentifiers.snilsProblemInRussian("112-233-445 94")
                == "контрольное число СНИЛС 94 не сходится с номером (должно быть 95); проверьте номер")
        #expect(RussianIdentifiers.snilsProblemInRussian("112-233-445 95") == nil)
    }

    @Test func snilsNormalized() {
        #expect(RussianIdentifiers.normalizedSNILS("11223344595") == "112-233-445 95")
        #expect(RussianIdentifiers.normalizedSNILS("112-233-445 95") == "112-233-445 95")
        #expect(RussianIdentifiers.normalizedSNILS("05023431600") == "050-234-316 00")
        #expect(RussianIdentifiers.normalizedSNILS("11223344596") == nil)
        #expect(RussianIdentifiers.normalizedSNILS("112-233-44595") == nil)
    }

    // MARK: OGRN, OGRNIP

    @Test func ogrnValid() {
        // 107470999001 mod 11 = 3 → 3 mod 10 = 3 (the social protection committee's test certificate).
        #expect(RussianIdentifiers.ogrnProblem("1074709990013") == nil)
        // 107470999008 mod 11 = 10 → 10 mod 10 = 0.
        #expect(RussianIdentifiers.ogrnProblem("1074709990080") == nil)
        // A published OGRN: 102770013219 mod 11 = 5.
        #expect(RussianIdentifiers.ogrnProblem("1027700132195") == nil)
        // OGRNIP: 30450011600015 mod 13 = 7 → 7.
        #expect(RussianIdentifiers.ogrnProblem("304500116000157") == nil)
    }

    @Test func ogrnKnownBad() {
        #expect(RussianIdentifiers.ogrnProblem("1074709990014") == "OGRN 1074709990014 check digit is 4, expected 3")
        #expect(RussianIdentifiers.ogrnProblem("1074709990081") == "OGRN 1074709990081 check digit is 1, expected 0")
        #expect(RussianIdentifiers.ogrnProblem("304500116000158") == "OGRNIP 304500116000158 check digit is 8, expected 7")
        #expect(RussianIdentifiers.ogrnProblem("107470999001") == "OGRN \"107470999001\" must have 13 digits (OGRNIP: 15), it has 12")
        #expect(
            RussianIdentifiers.ogrnProblem("107470999001X") == "OGRN \"107470999001X\" must consist of digits only (13 digits; OGRNIP: 15)")
        #expect(
            RussianIdentifiers.ogrnProblem("2074709990013")
                == "OGRN \"2074709990013\" must start with 1 or 5 (a legal entity's OGRN), not 2")
        #expect(RussianIdentifiers.ogrnProblem("") != nil)
    }

    // MARK: INN

    @Test func innValid() {
        // 4·2 + 7·4 + 0·10 + 3·3 + 9·5 + 9·9 + 9·4 + 0·6 + 1·8 = 215; 215 mod 11 = 6 → 6.
        #expect(RussianIdentifiers.innProblem("4703999016") == nil)
        // A published legal entity's INN: weighted sum 267, mod 11 = 3.
        #expect(RussianIdentifiers.innProblem("7707083893") == nil)
        // An individual: first check 148 mod 11 = 5, second 141 mod 11 = 9.
        #expect(RussianIdentifiers.innProblem("500100732259") == nil)
    }

    @Test func innKnownBad() {
        #expect(RussianIdentifiers.innProblem("4703999017") == "INN 4703999017 check digit is 7, expected 6")
        #expect(RussianIdentifiers.innProblem("500100732258") == "INN 500100732258 check digits are 58, expected 59")
        // A wrong 11th digit: the expected 12th is computed from the right 11th.
        #expect(RussianIdentifiers.innProblem("500100732269") == "INN 500100732269 check digits are 69, expected 59")
        #expect(
            RussianIdentifiers.innProblem("47039990160")
                == "INN \"47039990160\" must have 10 digits (legal entity) or 12 digits (individual), it has 11")
        #expect(RussianIdentifiers.innProblem("47О3999016") != nil)  // Cyrillic О in place of zero.
    }

    // MARK: KPP

    @Test func kpp() {
        #expect(RussianIdentifiers.kppProblem("470301001") == nil)
        #expect(RussianIdentifiers.kppProblem("7707AB001") == nil)
        #expect(RussianIdentifiers.kppProblem("47030100") == "KPP \"47030100\" must have 9 characters, it has 8")
        #expect(
            RussianIdentifiers.kppProblem("7707ab001") == "KPP \"7707ab001\" character 5 must be a digit or a capital Latin letter A–Z")
        #expect(
            RussianIdentifiers.kppProblem("A70301001")
                == "KPP \"A70301001\" character 1 must be a digit (only characters 5–6 may be letters A–Z)")
        #expect(RussianIdentifiers.kppProblem("470301AB1") != nil)
    }
}
