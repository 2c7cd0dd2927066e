import GST

/// One portal driver (or verifier) per environment, made on first use and kept for the rest of a batch (the
/// embedded sandbox starts once, the assisted driver asks once). `stop` ends what the factory started.
public final class EnvironmentPool<Made> {
    public typealias Factory = (Environment) async throws -> (made: Made, stop: () -> Void)
    private let make: Factory
    private var made: [Environment: Made] = [:]
    private var stops: [() -> Void] = []

    public init(make: @escaping Factory) { self.make = make }

    public func get(_ environment: Environment) async throws -> Made {
        if let found = made[environment] { return found }
        let (new, stop) = try await make(environment)
        made[environment] = new
        stops.append(stop)
        return new
    }

    public func stop() {
        stops.forEach { $0() }
        stops = []
        made = [:]
    }
}

/// The portal drivers of a batch.
public typealias DriverPool = EnvironmentPool<any PortalDriver>

/// What a batch did, failures as values: one item's failure never stops the others.
public struct BatchReport: Sendable {
    public var done: [CredentialKey] = []
    public var failures: [(key: CredentialKey, error: any Error)] = []
    /// Items not started because the batch was stopped (Ctrl-C).
    public var skipped: [CredentialKey] = []
    public var total: Int

    public init(total: Int) { self.total = total }

    public var summary: String {
        "Rotated \(done.count) of \(total); \(failures.count) failed"
            + (skipped.isEmpty ? "." : ", \(skipped.count) skipped (stopped).")
    }
}

/// `rotate --due`: the credentials whose due date has passed (the one definition, `Credential.status`), rotated
/// one after another.
public enum RotationBatch {
    /// The credentials `rotate --due` takes at `now`.
    public static func due(_ credentials: [Credential], at now: Timestamp) -> [Credential] {
        credentials.filter { $0.status(at: now) == .due }
    }

    /// A batch's two steps: the rotations left pending are settled first (a stopped batch leaves one; it is
    /// never skipped in silence), then, with `due`, the credentials whose due date has passed.
    public static func plan(_ credentials: [Credential], at now: Timestamp, due: Bool) -> (
        settle: [Credential], rotate: [Credential]
    ) {
        (credentials.filter { $0.staged != nil }, due ? Self.due(credentials, at: now) : [])
    }

    /// Runs `each` (a rotation, a verification) on each target in turn and reports. `finished` hears of each
    /// item as it ends (its number from 1, its key, its error if it failed); `stop` is asked before each item (a
    /// Ctrl-C): the rest are skipped, never half done.
    public static func run(
        _ targets: [Credential], each: (Credential) async throws -> Void,
        stop: () -> Bool = { false },
        finished: (Int, CredentialKey, (any Error)?) -> Void = { _, _, _ in }
    ) async -> BatchReport {
        var report = BatchReport(total: targets.count)
        for (index, target) in targets.enumerated() {
            if stop() {
                report.skipped = targets[index...].map(\.key)
                break
            }
            do {
                try await each(target)
                report.done.append(target.key)
                finished(index + 1, target.key, nil)
            } catch {
                report.failures.append((target.key, error))
                finished(index + 1, target.key, error)
            }
        }
        return report
    }
}
