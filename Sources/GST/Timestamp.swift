#if canImport(Glibc)
    import Glibc
#endif

/// A point in time, whole seconds since 1970-01-01 UTC. Encodes as ISO 8601 UTC ("2026-11-26T05:39:25Z").
/// The domain keeps its own type so that it needs no Foundation.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let secondsSince1970: Int64

    public init(secondsSince1970: Int64) { self.secondsSince1970 = secondsSince1970 }

    /// The system clock now.
    public static func current() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(secondsSince1970: Int64(ts.tv_sec))
    }

    public func adding(days: Int) -> Timestamp { adding(seconds: Int64(days) * 86_400) }
    public func adding(seconds: Int64) -> Timestamp { Timestamp(secondsSince1970: secondsSince1970 + seconds) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.secondsSince1970 < b.secondsSince1970 }

    /// ISO 8601 in UTC.
    public var description: String {
        // Years of four digits (every time a vault holds) as bytes: `list` writes 100,000 dates.
        if let bytes = iso8601Bytes { return String(decoding: bytes, as: UTF8.self) }
        let days = secondsSince1970 >= 0 ? secondsSince1970 / 86_400 : (secondsSince1970 - 86_399) / 86_400
        let secondOfDay = secondsSince1970 - days * 86_400
        let (y, m, d) = Self.civil(fromDays: days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return
            "\(y)-\(two(m))-\(two(d))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))Z"
    }

    /// The ISO 8601 bytes of a time in the years 1000 to 9999 (`appendISO8601` writes four year digits); nil
    /// for others.
    private var iso8601Bytes: [UInt8]? {
        // 1000-01-01 and 10000-01-01, in seconds.
        guard secondsSince1970 >= -30_610_224_000, secondsSince1970 < 253_402_300_800 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(20)
        appendISO8601(to: &out)
        return out
    }

    /// Appends the ISO 8601 form to a byte buffer without building a `String` (for bulk encoding).
    public func appendISO8601(to out: inout [UInt8]) {
        let days = secondsSince1970 >= 0 ? secondsSince1970 / 86_400 : (secondsSince1970 - 86_399) / 86_400
        let secondOfDay = secondsSince1970 - days * 86_400
        let (y, m, d) = Self.civil(fromDays: days)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(truncatingIfNeeded: 0x30 + rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(y, 4)
        out.append(0x2d)
        digits(m, 2)
        out.append(0x2d)
        digits(d, 2)
        out.append(0x54)
        digits(secondOfDay / 3600, 2)
        out.append(0x3a)
        digits(secondOfDay % 3600 / 60, 2)
        out.append(0x3a)
        digits(secondOfDay % 60, 2)
        out.append(0x5a)
    }

    /// The date part, "2026-11-26".
    public var dateString: String {
        if let bytes = iso8601Bytes { return String(decoding: bytes[..<10], as: UTF8.self) }
        return String(description.prefix(10))
    }

    /// Parses exactly "YYYY-MM-DDTHH:MM:SSZ".
    public init?(iso8601 text: String) {
        let c = Array(text.utf8)
        guard c.count == 20, c[4] == 0x2d, c[7] == 0x2d, c[10] == 0x54, c[13] == 0x3a, c[16] == 0x3a, c[19] == 0x5a
        else { return nil }
        func number(_ r: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in r {
                guard (0x30...0x39).contains(c[i]) else { return nil }
                v = v * 10 + Int64(c[i] - 0x30)
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10), let hh = number(11..<13),
            let mm = number(14..<16), let ss = number(17..<19), (1...12).contains(m), (1...31).contains(d), hh < 24,
            mm < 60, ss < 60
        else { return nil }
        let days = Self.days(fromCivil: y, m, d)
        guard Self.civil(fromDays: days) == (y, m, d) else { return nil }
        secondsSince1970 = days * 86_400 + hh * 3600 + mm * 60 + ss
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Timestamp(iso8601: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 UTC time: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // Howard Hinnant's civil calendar algorithms (proleptic Gregorian).
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
