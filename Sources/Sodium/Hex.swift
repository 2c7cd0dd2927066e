/// Lower-case hexadecimal for non-secret bytes (ids, hashes, test vectors).
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Encodes bytes as lower-case hex.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex (either case, whitespace ignored); nil when it is not hex.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let nibbles = text.utf8.filter { !($0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09) }
        guard nibbles.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(nibbles.count / 2)
        var index = nibbles.startIndex
        while index < nibbles.endIndex {
            guard let high = value(nibbles[index]), let low = value(nibbles[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}
