import Foundation
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

    /// A JSON string of `utf8`: runs that need no escape are copied whole (an export of 100,000 credentials
    /// writes about 60 MB through here).
    mutating func escaped(_ utf8: UnsafeRawBufferPointer) {
        out.reserveCapacity(out.count + utf8.count + 2)
        out.append(0x22)
        var runStart = 0
        for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5c {
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: utf8[runStart..<index]))
            runStart = index + 1
            switch byte {
            case 0x22: out += [0x5c, 0x22]
            case 0x5c: out += [0x5c, 0x5c]
            case 0x08: out += [0x5c, 0x62]
            case 0x0c: out += [0x5c, 0x66]
            case 0x0a: out += [0x5c, 0x6e]
            case 0x0d: out += [0x5c, 0x72]
            case 0x09: out += [0x5c, 0x74]
            default:
                let digits = Array("0123456789abcdef".utf8)
                out += [0x5c, 0x75, 0x30, 0x30, digits[Int(byte >> 4)], digits[Int(byte & 0xf)]]
            }
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: utf8[runStart...]))
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

    /// Appends raw bytes with one copy.
    mutating func append(contentsOf more: UnsafeRawBufferPointer) {
        ensure(room: more.count)
        bytes.append(contentsOf: more.assumingMemoryBound(to: UInt8.self))
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
        compact.withUnsafeBufferPointer { compact in
            var counter = ByteCounter()
            layOut(compact, depth: 0, next: nil, into: &counter)
            return [UInt8](unsafeUninitializedCapacity: counter.count) { storage, initialized in
                var buffer = ByteBuffer(storage: storage)
                layOut(compact, depth: 0, next: nil, into: &buffer)
                initialized = buffer.count
            }
        }
    }

    /// Pieces of one compact document, in order, each with the depth the document is at where it starts,
    /// laid out as the whole would be (with a final newline) straight into locked memory: each piece is
    /// measured and laid out on a thread of its own into its part of the buffer (an export of 100,000
    /// credentials writes its credentials in one piece per core). An empty array or object must not be split
    /// between two pieces.
    static func prettyPrintedLine(_ pieces: [(compact: WipingBuffer, depth: Int)]) throws -> SecureBytes {
        // An opening bracket that ends a piece looks at the byte after it (an empty one is laid out apart).
        let following: [UInt8?] = pieces.indices.map { index in
            pieces[(index + 1)...].lazy.compactMap { $0.compact.bytes.first }.first
        }
        let lengths = PartedBuffer(UnsafeMutableBufferPointer<Int>.allocate(capacity: pieces.count))
        defer { lengths.buffer.deallocate() }
        DispatchQueue.concurrentPerform(iterations: pieces.count) { index in
            var counter = ByteCounter()
            pieces[index].compact.bytes.withUnsafeBufferPointer {
                layOut($0, depth: pieces[index].depth, next: following[index], into: &counter)
            }
            lengths.buffer[index] = counter.count
        }
        let total = lengths.buffer.reduce(0, +) + 1
        return try SecureBytes(count: total) { raw in
            let out = PartedBuffer(raw.assumingMemoryBound(to: UInt8.self))
            DispatchQueue.concurrentPerform(iterations: pieces.count) { index in
                let start = lengths.buffer[..<index].reduce(0, +)
                var buffer = ByteBuffer(
                    storage: UnsafeMutableBufferPointer(rebasing: out.buffer[start..<(start + lengths.buffer[index])]))
                pieces[index].compact.bytes.withUnsafeBufferPointer {
                    layOut($0, depth: pieces[index].depth, next: following[index], into: &buffer)
                }
            }
            out.buffer[total - 1] = 0x0a
        }
    }

    private static func layOut(
        _ compact: UnsafeBufferPointer<UInt8>, depth startDepth: Int, next: UInt8?, into sink: inout some ByteSink
    ) {
        var depth = startDepth
        var index = 0
        while index < compact.count {
            let byte = compact[index]
            switch byte {
            case 0x22:  // a string, escapes and all, copied as it stands
                let start = index
                index = closingQuote(in: compact, after: index)
                sink.append(UnsafeBufferPointer(rebasing: compact[start...index]))
            case 0x7b, 0x5b:
                let close: UInt8 = byte == 0x7b ? 0x7d : 0x5d
                sink.append(byte)
                let after = index + 1 < compact.count ? compact[index + 1] : next
                precondition(index + 1 < compact.count || after != close, "an empty bracket split between pieces")
                if after == close {
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

/// The position of the quote that closes the string opened at `opening` (memchr finds each quote; one preceded
/// by an odd number of backslashes is escaped). The compact JSON this writer made always closes its strings.
private func closingQuote(in bytes: UnsafeBufferPointer<UInt8>, after opening: Int) -> Int {
    var from = opening + 1
    while true {
        let found = memchr(bytes.baseAddress! + from, 0x22, bytes.count - from)!
        let quote = bytes.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
        var backslashes = 0
        while bytes[quote - 1 - backslashes] == 0x5c { backslashes += 1 }
        if backslashes % 2 == 0 { return quote }
        from = quote + 1
    }
}

/// A buffer that several threads write at once, each only its own part of it.
private struct PartedBuffer<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}

private protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>)
    mutating func newline(indent depth: Int)
}

private struct ByteCounter: ByteSink {
    var count = 0
    mutating func append(_ byte: UInt8) { count += 1 }
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) { count += bytes.count }
    mutating func newline(indent depth: Int) { count += 1 + 2 * depth }
}

/// Writes into storage the counter measured (never past it: the two walk the same bytes).
private struct ByteBuffer: ByteSink {
    let storage: UnsafeMutableBufferPointer<UInt8>
    var count = 0
    mutating func append(_ byte: UInt8) {
        storage[count] = byte
        count += 1
    }
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        _ = UnsafeMutableBufferPointer(rebasing: storage[count..<(count + bytes.count)]).initialize(
            fromContentsOf: bytes)
        count += bytes.count
    }
    mutating func newline(indent depth: Int) {
        append(0x0a)
        UnsafeMutableBufferPointer(rebasing: storage[count..<(count + 2 * depth)]).initialize(repeating: 0x20)
        count += 2 * depth
    }
}
