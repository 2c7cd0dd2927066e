import GST
import Sodium

/// A JSON reader over decrypted bytes that knows nothing of the payload: objects, arrays, strings, numbers,
/// and strings read as secrets into `WipedBytes` without ever becoming a `String`. Any valid JSON is accepted
/// (whitespace, any key order, escapes, unknown keys skipped). What the payload's records are is in
/// PayloadSchema.swift.
struct JSONScanner {
    struct Failure: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "invalid payload JSON at byte \(offset): \(reason)" }
    }

    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Decodes a whole payload. Throws `VaultError.unsupportedSchema` for another schema.
    func timestamp(_ text: String) throws -> Timestamp {
        guard let value = Timestamp(iso8601: text) else { throw fail("not an ISO 8601 time: \(text)") }
        return value
    }

    // MARK: JSON

    func fail(_ reason: String) -> Failure { Failure(offset: offset, reason: reason) }

    mutating func skipSpace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0a, 0x0d: offset += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard offset < bytes.count, bytes[offset] == byte else {
            throw fail("expected \"\(Character(UnicodeScalar(byte)))\"")
        }
        offset += 1
    }

    mutating func peek() -> UInt8? {
        skipSpace()
        return offset < bytes.count ? bytes[offset] : nil
    }

    mutating func end() throws {
        skipSpace()
        guard offset == bytes.count else { throw fail("trailing characters") }
    }

    /// Calls `body` for each member; keys are read as strings, values by `body`.
    mutating func object(_ body: (String, inout JSONScanner) throws -> Void) throws {
        try expect(0x7b)  // {
        if peek() == 0x7d {
            offset += 1
            return
        }
        while true {
            let key = try string()
            try expect(0x3a)  // :
            try body(key, &self)
            guard let next = peek() else { throw fail("unterminated object") }
            offset += 1
            if next == 0x7d { return }
            guard next == 0x2c else { throw fail("expected , or }") }
        }
    }

    mutating func array<T>(_ element: (inout JSONScanner) throws -> T) throws -> [T] {
        try expect(0x5b)  // [
        var items: [T] = []
        if peek() == 0x5d {
            offset += 1
            return items
        }
        while true {
            items.append(try element(&self))
            guard let next = peek() else { throw fail("unterminated array") }
            offset += 1
            if next == 0x5d { return items }
            guard next == 0x2c else { throw fail("expected , or ]") }
        }
    }

    mutating func nullable<T>(_ value: (inout JSONScanner) throws -> T) throws -> T? {
        if peek() == 0x6e {
            try literal("null")
            return nil
        }
        return try value(&self)
    }

    mutating func nullableString() throws -> String? {
        switch peek() {
        case 0x22: return try string()
        case 0x6e:
            try literal("null")
            return nil
        default:
            try skipValue()
            return nil
        }
    }

    mutating func boolean() throws -> Bool {
        if peek() == 0x74 {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    mutating func literal(_ word: String) throws {
        skipSpace()
        for byte in word.utf8 {
            guard offset < bytes.count, bytes[offset] == byte else { throw fail("expected \(word)") }
            offset += 1
        }
    }

    mutating func integer() throws -> Int {
        skipSpace()
        var negative = false
        if offset < bytes.count, bytes[offset] == 0x2d {
            negative = true
            offset += 1
        }
        var value = 0
        var digits = 0
        while offset < bytes.count, (0x30...0x39).contains(bytes[offset]) {
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw fail("number too large") }
            value = product + Int(bytes[offset] - 0x30)
            offset += 1
            digits += 1
        }
        guard digits > 0 else { throw fail("expected an integer") }
        if offset < bytes.count, [0x2e, 0x65, 0x45].contains(bytes[offset]) { throw fail("expected an integer") }
        return negative ? -value : value
    }

    /// A string that holds no secret. Strings without escapes (nearly all) are made straight from the buffer.
    mutating func string() throws -> String {
        if let plain = try plainString() {
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[plain]), as: UTF8.self)
        }
        return String(decoding: try rawString(), as: UTF8.self)
    }

    /// Which of `words` the next string is (its position there), or nil for another string; no `String` is made
    /// of it unless it has escapes.
    mutating func oneOf(_ words: [[UInt8]]) throws -> Int? {
        if let plain = try plainString() {
            let text = UnsafeRawBufferPointer(rebasing: bytes[plain])
            return words.firstIndex { $0.count == text.count && $0.elementsEqual(text) }
        }
        let text = try rawString()
        return words.firstIndex(of: text)
    }

    /// The next string's bytes, as `body` reads them (escapes decoded), without making a `String` of them.
    mutating func withStringBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if let plain = try plainString() { return try body(UnsafeRawBufferPointer(rebasing: bytes[plain])) }
        return try rawString().withUnsafeBytes(body)
    }

    /// A string's bytes in wiped memory: for passwords and secrets (no `String` is ever made of them).
    mutating func secretBytes() throws -> WipedBytes {
        if let plain = try plainString() {
            return WipedBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[plain]))
        }
        var utf8 = try rawString()
        defer { wipe(&utf8) }
        return WipedBytes(copying: utf8)
    }

    /// The byte range of the next string when it has no escape and no control character (then consumed);
    /// nil, with nothing consumed, when it needs `rawString`.
    mutating func plainString() throws -> Range<Int>? {
        try expect(0x22)
        let start = offset
        var index = offset
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x22 {
                offset = index + 1
                return start..<index
            }
            if byte == 0x5c || byte < 0x20 { break }
            index += 1
        }
        offset = start - 1  // back to the opening quote for rawString
        return nil
    }

    /// The UTF-8 bytes of a JSON string, escapes decoded.
    mutating func rawString() throws -> [UInt8] {
        try expect(0x22)
        var out: [UInt8] = []
        while true {
            guard offset < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case 0x22: return out
            case 0x5c:
                guard offset < bytes.count else { throw fail("unterminated escape") }
                let escaped = bytes[offset]
                offset += 1
                switch escaped {
                case 0x22, 0x5c, 0x2f: out.append(escaped)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0c)
                case 0x6e: out.append(0x0a)
                case 0x72: out.append(0x0d)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard offset + 1 < bytes.count, bytes[offset] == 0x5c, bytes[offset + 1] == 0x75 else {
                            throw fail("unpaired surrogate")
                        }
                        offset += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("unpaired surrogate")
                    }
                    guard let unicode = UnicodeScalar(scalar) else { throw fail("bad \\u escape") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: throw fail("bad escape")
                }
            default:
                guard byte >= 0x20 else { throw fail("control character in a string") }
                out.append(byte)
            }
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[offset]
            offset += 1
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = UInt32(c - 0x30)
            case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
            default: throw fail("bad \\u escape")
            }
            value = value << 4 | digit
        }
        return value
    }

    /// Skips any JSON value (for keys this build does not know).
    mutating func skipValue() throws {
        switch peek() {
        case 0x22: _ = try rawString()
        case 0x7b: try object { _, reader in try reader.skipValue() }
        case 0x5b: _ = try array { try $0.skipValue() }
        case 0x74: try literal("true")
        case 0x66: try literal("false")
        case 0x6e: try literal("null")
        default:
            skipSpace()
            let start = offset
            while offset < bytes.count, "+-0123456789.eE".utf8.contains(bytes[offset]) { offset += 1 }
            guard offset > start else { throw fail("unexpected character") }
        }
    }
}
