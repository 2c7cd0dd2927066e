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

extension JSONWriter {
    /// Compact JSON (as this writer makes it: no whitespace outside strings) laid out as Foundation's
    /// `.prettyPrinted` does: two spaces per level, `"key" : value`, one element per line, and an empty
    /// array or object as its brackets around an empty line. Measured first, so the buffer that holds the
    /// secrets is never reallocated (a reallocation would leave a copy behind that nobody wipes).
    static func prettyPrinted(_ compact: [UInt8]) -> [UInt8] {
        var counter = ByteCounter()
        layOut(compact, into: &counter)
        var buffer = ByteBuffer()
        buffer.out.reserveCapacity(counter.count + 1)
        layOut(compact, into: &buffer)
        return buffer.out
    }

    private static func layOut(_ compact: [UInt8], into sink: inout some ByteSink) {
        var depth = 0
        var index = 0
        while index < compact.count {
            let byte = compact[index]
            switch byte {
            case 0x22:  // a string, escapes and all, as it stands
                sink.append(byte)
                index += 1
                while compact[index] != 0x22 {
                    if compact[index] == 0x5c {
                        sink.append(compact[index])
                        index += 1
                    }
                    sink.append(compact[index])
                    index += 1
                }
                sink.append(0x22)
            case 0x7b, 0x5b:
                let close: UInt8 = byte == 0x7b ? 0x7d : 0x5d
                sink.append(byte)
                if compact[index + 1] == close {
                    sink.append(0x0a)
                    sink.newline(indent: depth)
                    sink.append(close)
                    index += 1
                } else {
                    depth += 1
                    sink.newline(indent: depth)
                }
            case 0x7d, 0x5d:
                depth -= 1
                sink.newline(indent: depth)
                sink.append(byte)
            case 0x2c:
                sink.append(byte)
                sink.newline(indent: depth)
            case 0x3a:
                sink.append(0x20)
                sink.append(0x3a)
                sink.append(0x20)
            default: sink.append(byte)
            }
            index += 1
        }
    }
}

private protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func newline(indent depth: Int)
}

private struct ByteCounter: ByteSink {
    var count = 0
    mutating func append(_ byte: UInt8) { count += 1 }
    mutating func newline(indent depth: Int) { count += 1 + 2 * depth }
}

private struct ByteBuffer: ByteSink {
    var out: [UInt8] = []
    mutating func append(_ byte: UInt8) { out.append(byte) }
    mutating func newline(indent depth: Int) {
        out.append(0x0a)
        for _ in 0..<(2 * depth) { out.append(0x20) }
    }
}
