import Foundation
import GST

/// A clock the test moves by hand.
public final class TestClock: Clock, @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var current = Timestamp(iso8601: "2026-11-26T00:00:00Z")!
    public init() {}
    public func now() -> Timestamp { lock.withLock { current } }
    public func advance(seconds: Int64) { lock.withLock { current = current.adding(seconds: seconds) } }
    public func advance(days: Int) { lock.withLock { current = current.adding(days: days) } }
}

/// A temporary folder removed at deinit.
public final class Folder: Sendable {
    public let path = NSTemporaryDirectory() + "nicvault-test-" + UUID().uuidString
    public init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A sandbox GSTIN from a literal the test knows is valid.
public func gstin(_ text: String) -> GSTIN { try! GSTIN(parsing: text, environment: .sandbox) }

/// A secret from a literal.
public func secret(_ text: String) -> Secret { try! Secret(utf8Bytes: Array(text.utf8)) }
