/// Which rules a GSTIN must meet: production needs the full format and check character; the sandbox
/// only needs 15 upper-case letters and digits starting with a known state code, because NIC's own
/// sandbox GSTINs fail the check.
public enum Environment: String, Codable, Sendable, CaseIterable, Comparable {
    case sandbox
    case production

    public static func < (a: Environment, b: Environment) -> Bool { a.rawValue < b.rawValue }
}

/// What a GSTIN's 13th to 15th characters and layout say about the registration.
public enum RegistrationType: String, Codable, Sendable {
    case regular
    case uin = "UIN"
    case nonResident = "non-resident"
    case oidar = "OIDAR"
    case tdsDeductor = "TDS deductor"
    case tcsCollector = "TCS collector"
    case governmentDepartment = "government department"
    /// A sandbox-style id that matches none of the production layouts.
    case unrecognised
}

/// Why a text is not a GSTIN; each case reads as a sentence the user can act on.
public enum GSTINError: Error, Equatable, Sendable, CustomStringConvertible {
    case wrongLength(Int)
    case invalidCharacter(Character, position: Int)
    case unknownStateCode(String)
    case transporterID(String)
    case badFormat(String)
    case wrongCheckCharacter(expected: Character, found: Character)

    public var description: String {
        switch self {
        case .wrongLength(let n): "\(n) characters, expected 15"
        case .invalidCharacter(let c, let position):
            c == " "
                ? "character \(position) is a space; a GSTIN has only letters A-Z and digits"
                : "character \(position) is \"\(c)\"; a GSTIN has only letters A-Z and digits"
        case .unknownStateCode(let code): "unknown state code \(code)"
        case .transporterID(let id):
            "\(id) is a transporter id (it starts with 88), not a GSTIN that has e-invoice credentials"
        case .badFormat(let why): why
        case .wrongCheckCharacter(let expected, let found): "check character should be \(expected), not \(found)"
        }
    }
}

/// A GSTIN in its canonical form (15 upper-case letters and digits), checked for one environment.
/// Made by `GSTIN(parsing:environment:)`, or read back from a vault by `init(stored:)` and `init(storedUTF8:)`
/// (which check its shape again): a value is always 15 upper-case ASCII letters and digits.
public struct GSTIN: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The canonical 15 characters.
    public let value: String

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

    /// Trims, upper-cases and checks `text` for `environment`.
    public init(parsing text: String, environment: Environment) throws(GSTINError) {
        let canonical = text.trimmingWhitespace().uppercased()
        let chars = Array(canonical)
        // A stray character explains a wrong length better than the length does.
        for (index, c) in chars.enumerated() where !(c.isASCII && (c.isNumber || c.isUppercase)) {
            throw .invalidCharacter(c, position: index + 1)
        }
        guard chars.count == 15 else { throw .wrongLength(chars.count) }
        let state = String(chars[0..<2])
        if state == "88" { throw .transporterID(canonical) }
        guard StateCode(code: state) != nil else { throw .unknownStateCode(state) }
        if environment == .production {
            guard GSTIN.registrationType(of: chars) != .unrecognised else {
                throw .badFormat(GSTIN.formatAdvice(chars))
            }
            let expected = GSTIN.checkCharacter(for: String(chars[0..<14]))
            guard expected == chars[14] else { throw .wrongCheckCharacter(expected: expected, found: chars[14]) }
        }
        value = canonical
    }

    /// A GSTIN read back from an authenticated vault: it was checked for its environment when it was stored,
    /// so only its shape is checked again (15 upper-case letters and digits, a known state code). This keeps
    /// opening a vault of 100,000 credentials from re-running every rule 100,000 times.
    public init(stored text: String) throws(GSTINError) {
        var copy = text
        try copy.withUTF8 { bytes in
            Result { () throws(GSTINError) in try Self.checkStored(UnsafeRawBufferPointer(bytes)) }
        }.get()
        value = text
    }

    /// As `init(stored:)`, from the UTF-8 bytes of the text (a vault's index is read as bytes: no `String` is
    /// made of a GSTIN that is refused).
    public init(storedUTF8 bytes: UnsafeRawBufferPointer) throws(GSTINError) {
        try Self.checkStored(bytes)
        value = String(decoding: bytes, as: UTF8.self)
    }

    /// The stored shape: 15 upper-case ASCII letters and digits, a known state code.
    private static func checkStored(_ bytes: UnsafeRawBufferPointer) throws(GSTINError) {
        guard bytes.count == 15 else { throw .wrongLength(String(decoding: bytes, as: UTF8.self).count) }
        for index in 0..<15 {
            let byte = bytes[index]
            guard (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) else {
                throw .invalidCharacter(Character(UnicodeScalar(byte)), position: index + 1)
            }
        }
        let (tens, units) = (Int(bytes[0] &- 0x30), Int(bytes[1] &- 0x30))
        guard tens < 10, units < 10, knownStateCodes[tens * 10 + units] else {
            throw .unknownStateCode(String(decoding: bytes[0..<2], as: UTF8.self))
        }
    }

    /// `StateCode.table` as a look-up by the code's number: a vault of 100,000 credentials checks 100,000 stored
    /// GSTINs when it opens.
    static let knownStateCodes: [Bool] = (0..<100).map { StateCode.table[String(format2: $0)] != nil }

    /// The mod-36 (Luhn) check character for the first 14 characters of a GSTIN.
    public static func checkCharacter(for first14: String) -> Character {
        var sum = 0
        for (index, c) in first14.enumerated() {
            let value = alphabet.firstIndex(of: c) ?? 0
            let product = value * (index % 2 == 0 ? 1 : 2)
            sum += product / 36 + product % 36
        }
        return alphabet[(36 - sum % 36) % 36]
    }

    /// The state or territory.
    public var state: StateCode { StateCode(code: String(value.prefix(2)))! }

    /// The check character is right (always true for production GSTINs; sandbox ones may fail it).
    public var hasValidCheckCharacter: Bool {
        GSTIN.checkCharacter(for: String(value.prefix(14))) == value.last!
    }

    /// The registration type the layout shows.
    public var registrationType: RegistrationType { GSTIN.registrationType(of: Array(value)) }

    /// Characters 3 to 12: the PAN for regular, TDS and TCS registrations (a TAN for TDS deductors).
    public var pan: PAN? {
        switch registrationType {
        case .regular, .tcsCollector: PAN(String(Array(value)[2..<12]))
        default: nil
        }
    }

    /// Character 13 of a PAN- or TAN-based GSTIN: which registration this is for the PAN in the state
    /// (1-9, then A-Z). Nil for UIN, non-resident, OIDAR and government layouts, where it means something else.
    public var entityNumber: Character? {
        switch registrationType {
        case .regular, .tdsDeductor, .tcsCollector: Array(value)[12]
        default: nil
        }
    }

    /// Things worth telling the user that do not make the GSTIN unusable.
    public var warnings: [String] {
        var notes: [String] = []
        if state.isRetired {
            notes.append(
                "state code 25 (Daman and Diu) is retired; the state is now 26, check that the GSTIN is current")
        }
        if !hasValidCheckCharacter {
            notes.append(
                "check character should be \(GSTIN.checkCharacter(for: String(value.prefix(14)))), not \(value.last!): "
                    + "accepted for the sandbox only")
        }
        if registrationType == .unrecognised { notes.append("the layout matches no production registration type") }
        return notes
    }

    public var description: String { value }
    public static func < (a: GSTIN, b: GSTIN) -> Bool { a.value < b.value }

    static func registrationType(of c: [Character]) -> RegistrationType {
        func digits(_ r: Range<Int>) -> Bool { r.allSatisfy { c[$0].isASCII && c[$0].isNumber } }
        func letters(_ r: Range<Int>) -> Bool { r.allSatisfy { c[$0].isASCII && c[$0].isUppercase } }
        func alnum(_ i: Int) -> Bool { c[i].isASCII && (c[i].isNumber || c[i].isUppercase) }
        // UIN: 4 digits, 3 letters, 5 digits, "UN" or "ON", check.
        if digits(0..<4) && letters(4..<7) && digits(7..<12) {
            if (c[12] == "U" || c[12] == "O") && c[13] == "N" { return .uin }
            if c[12] == "N" && c[13] == "R" { return .nonResident }
            if c[12] == "O" && c[13] == "S" && c[0] == "9" && c[1] == "9" { return .oidar }
        }
        // Government department: 2 digits, 4 letters, 5 digits, letter, digit, Z, digit.
        if digits(0..<2) && letters(2..<6) && digits(6..<11) && letters(11..<12) && digits(12..<13) && c[13] == "Z"
            && digits(14..<15)
        {
            return .governmentDepartment
        }
        // PAN or TAN based: 2 digits, then 5 letters 4 digits 1 letter (PAN) or 4 letters 5 digits 1 letter (TAN).
        let entityOK = alnum(12) && c[12] != "0"
        if digits(0..<2) && entityOK && alnum(14) {
            let panShape = letters(2..<7) && digits(7..<11) && letters(11..<12)
            let tanShape = letters(2..<6) && digits(6..<11) && letters(11..<12)
            switch c[13] {
            case "D" where panShape || tanShape: return .tdsDeductor
            case "C" where panShape: return .tcsCollector
            case "Z" where panShape: return .regular
            default: break
            }
        }
        return .unrecognised
    }

    static func formatAdvice(_ c: [Character]) -> String {
        let body = String(c[2..<12])
        if !body.isEmpty, PAN(body) == nil {
            return "characters 3 to 12 (\(body)) are not a PAN: 5 letters, 4 digits, 1 letter"
        }
        if c[12] == "0" { return "character 13 (the entity number) is 0; it runs 1-9, then A-Z" }
        return "character 14 is \"\(c[13])\"; expected Z (regular), C (TCS) or D (TDS)"
    }
}

/// A Permanent Account Number: 5 letters, 4 digits, 1 letter.
public struct PAN: Hashable, Sendable, CustomStringConvertible {
    /// The 10 characters.
    public let value: String

    /// Nil unless `text` has the PAN layout.
    public init?(_ text: String) {
        let c = Array(text)
        guard c.count == 10,
            c[0..<5].allSatisfy({ $0.isASCII && $0.isUppercase }),
            c[5..<9].allSatisfy({ $0.isASCII && $0.isNumber }),
            c[9].isASCII && c[9].isUppercase
        else { return nil }
        value = text
    }

    /// Who holds the PAN, from its fourth letter.
    public var holderType: String {
        switch Array(value)[3] {
        case "P": "individual"
        case "C": "company"
        case "H": "Hindu undivided family"
        case "F": "firm or LLP"
        case "A": "association of persons"
        case "T": "trust"
        case "B": "body of individuals"
        case "L": "local authority"
        case "J": "artificial juridical person"
        case "G": "government"
        case let other: "unknown (\(other))"
        }
    }

    public var description: String { value }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

extension String {
    /// A number below 100 as two digits.
    fileprivate init(format2 number: Int) { self = (number < 10 ? "0" : "") + String(number) }
}
