import GST
import Sodium

/// A JSON writer into a buffer that is wiped after it has been copied into locked memory: compact, in the byte
/// form Foundation's JSONEncoder writes with `.sortedKeys` (except that "/" is not escaped). It knows nothing of
/// the payload; PayloadSchema.swift writes its records, keys in sorted order.
struct JSONWriter {
    var out: [UInt8] = []

    mutating func key(_ name: String, first: Bool = false) {
        if !first { out.append(0x2c) }
        string(name)
        out.append(0x3a)
    }

    mutating func list<T>(_ items: [T], _ element: (inout JSONWriter, T) -> Void) {
        out.append(0x5b)
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(0x2c) }
            element(&self, item)
        }
        out.append(0x5d)
    }

    mutating func timestamp(_ value: Timestamp) {
        out.append(0x22)
        value.appendISO8601(to: &out)
        out.append(0x22)
    }

    mutating func number(_ value: Int) { out.append(contentsOf: String(value).utf8) }

    mutating func string(_ value: String) {
        var text = value
        text.withUTF8 { escaped(UnsafeRawBufferPointer($0)) }
    }

    mutating func secret(_ value: Secret) { value.withUnsafeBytes { escaped($0) } }

    mutating func boolean(_ value: Bool) { out.append(contentsOf: (value ? "true" : "false").utf8) }

    mutating func escaped(_ utf8: UnsafeRawBufferPointer) {
        out.append(0x22)
        for byte in utf8 {
            switch byte {
            case 0x22: out += [0x5c, 0x22]
            case 0x5c: out += [0x5c, 0x5c]
            case 0x08: out += [0x5c, 0x62]
            case 0x0c: out += [0x5c, 0x66]
            case 0x0a: out += [0x5c, 0x6e]
            case 0x0d: out += [0x5c, 0x72]
            case 0x09: out += [0x5c, 0x74]
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                out += [0x5c, 0x75, 0x30, 0x30, digits[Int(byte >> 4)], digits[Int(byte & 0xf)]]
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }
}
