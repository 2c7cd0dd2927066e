import GST
import Sodium

/// A JSON writer into a buffer that is wiped after it has been copied into locked memory: compact, in the byte
/// form Foundation's JSONEncoder writes with `.sortedKeys` (except that "/" is not escaped). It knows nothing of
/// the payload; PayloadSchema.swift writes its records, keys in sorted order.
struct JSONWriter {
    var out = WipingBuffer()

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
        var text: [UInt8] = []  // a time, not a secret
        text.reserveCapacity(24)
        value.appendISO8601(to: &text)
        out.append(0x22)
        out.append(contentsOf: text)
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

/// A growing byte buffer for JSON that holds secrets. An Array that outgrows its storage copies itself and frees
/// the old storage as it is, secrets and all; this one grows by copying into a larger array itself and wiping the
/// old one first, so no copy is left behind. `wipe(&buffer)` clears what it holds.
struct WipingBuffer {
    private(set) var bytes: [UInt8] = []

    var count: Int { bytes.count }

    mutating func reserveCapacity(_ total: Int) { ensure(room: total - bytes.count) }

    mutating func append(_ byte: UInt8) {
        ensure(room: 1)
        bytes.append(byte)
    }

    mutating func append(contentsOf more: some Collection<UInt8>) {
        ensure(room: more.count)
        bytes.append(contentsOf: more)
    }

    static func += (buffer: inout WipingBuffer, more: [UInt8]) { buffer.append(contentsOf: more) }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    private mutating func ensure(room: Int) {
        guard bytes.count + room > bytes.capacity else { return }
        var larger: [UInt8] = []
        larger.reserveCapacity(max(bytes.capacity * 2, bytes.count + room, 256))
        larger.append(contentsOf: bytes)
        wipe(&bytes)
        bytes = larger
    }
}

/// Zeroes what the buffer holds (its storage is never copied elsewhere, see `WipingBuffer`).
func wipe(_ buffer: inout WipingBuffer) {
    var bytes = buffer.bytes
    buffer = WipingBuffer()
    wipe(&bytes)
}
