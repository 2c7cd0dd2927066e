import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import SealedFile

/// One connection to the store's server, used synchronously: the vault's storage API is synchronous (a command
/// opens, changes, saves), so each query waits for its answer on a thread of its own event loop.
final class PostgresLink: @unchecked Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// The store's schema was found at the version this nicvault knows (checked once per connection).
    var schemaChecked = false
    /// The id of the vault this connection last read (a store holds one): an open reads its rollback memory
    /// before its snapshot, and need not ask for the id again.
    var vaultID: ByteBuffer?
    /// The vault row's id and header as this connection last read them, taken by the one who uses them.
    var head: (id: ByteBuffer, header: ByteBuffer)?
    /// How long one statement (or the connection) may take before the command gives up: `NICVAULT_STORE_TIMEOUT`
    /// seconds, 30 by default. A server that never answers must not hang a job.
    static let timeout: Int64 = {
        let text = ProcessInfo.processInfo.environment["NICVAULT_STORE_TIMEOUT"] ?? ""
        return Int64(text).flatMap { $0 > 0 ? $0 : nil } ?? 30
    }()

    /// One event-loop thread for every connection of the process: a command waits for each answer in turn.
    static let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()

    init(_ url: StoreURL, password: String?) throws {
        var logger = Logger(label: "nicvault.postgres")
        logger.logLevel = .critical
        self.logger = logger
        var configuration: PostgresConnection.Configuration
        if url.host.hasPrefix("/") {
            configuration = .init(
                unixSocketPath: url.host + "/.s.PGSQL.\(url.port)", username: url.user, password: password,
                database: url.database)
        } else {
            configuration = .init(
                host: url.host, port: url.port, username: url.user, password: password, database: url.database,
                tls: try Self.tls(url.sslMode))
        }
        configuration.options.connectTimeout = .seconds(10)
        // A name the administrator sees in pg_stat_activity; no JIT compilation: every statement here is small,
        // and a server's planner that guesses a tiny table large compiles for 20 ms to save microseconds.
        configuration.options.additionalStartupParameters = [("application_name", "nicvault"), ("jit", "off")]
        do {
            do {
                connection = try Self.connect(configuration, logger: logger)
            } catch  where Self.reason(error).contains("unsupported startup parameter: jit") {
                // A pooler (PgBouncer) that does not pass `jit` on refuses the connection for it: connect again
                // without it (the server's own setting then applies).
                configuration.options.additionalStartupParameters.removeAll { $0.0 == "jit" }
                connection = try Self.connect(configuration, logger: logger)
            }
        } catch {
            throw StoreError.database("cannot reach the store at \(url): \(Self.reason(error))")
        }
    }

    private static func connect(_ configuration: PostgresConnection.Configuration, logger: Logger) throws
        -> PostgresConnection
    {
        try wait(PostgresConnection.connect(on: loop, configuration: configuration, id: 1, logger: logger))
    }

    static func tls(_ mode: StoreURL.SSLMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: return .disable
        case .prefer, .require:
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = .none
            let context = try NIOSSLContext(configuration: config)
            return mode == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    func query(_ query: PostgresQuery) throws -> [PostgresRow] {
        // postgres-nio 1.33 writes a query to a closed channel without failing it, so the query would wait for
        // the time-out: a connection the server closed (a restart, a terminated backend) is refused here, before
        // anything is sent.
        guard !connection.isClosed else {
            throw StoreError.database("the store closed the connection (a restart, or its backend was terminated)")
        }
        do {
            let result: PostgresQueryResult = try Self.wait(connection.query(query, logger: logger))
            return result.rows
        } catch {
            if error is TimedOut {
                let closing: EventLoopFuture<Void> = connection.close()
                closing.whenComplete { _ in }
            }
            throw Self.lostAnswer(error)
                ? StoreError.databaseUnanswered(Self.reason(error)) : StoreError.database(Self.reason(error))
        }
    }

    /// True when the server may have done what was asked but the answer never came: a time-out, a connection
    /// that dropped, or a server that was shut down or terminated this backend (SQLSTATE classes 08 and 57).
    static func lostAnswer(_ error: any Error) -> Bool {
        if error is TimedOut { return true }
        guard let psql = error as? PSQLError else { return false }
        if let state = psql.serverInfo?[.sqlState] { return state.hasPrefix("08") || state.hasPrefix("57") }
        return [.serverClosedConnection, .uncleanShutdown, .clientClosedConnection, .connectionError].contains(
            psql.code)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<R>(_ begin: PostgresQuery = "BEGIN", _ body: () throws -> R) throws -> R {
        try query(begin)
        do {
            let result = try body()
            try query("COMMIT")
            return result
        } catch {
            _ = try? query("ROLLBACK")
            throw error
        }
    }

    /// Says goodbye (PostgreSQL's Terminate message, as psql does) and closes: a pooler then logs a client that
    /// left, not one that vanished. postgres-nio sends Terminate only from its async close, run here on a task
    /// while this thread (a command's, never the event loop's) waits; a close without it after 2 seconds.
    func close() {
        let connection = self.connection
        guard !connection.isClosed else { return }
        let closed = DispatchSemaphore(value: 0)
        Task.detached {
            try? await connection.closeGracefully()
            closed.signal()
        }
        if closed.wait(timeout: .now() + .seconds(2)) == .timedOut {
            _ = try? Self.wait(connection.close())
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var description: String { "the store did not answer within \(PostgresLink.timeout) s (NICVAULT_STORE_TIMEOUT)" }
    }

    /// The future's value, or `TimedOut` after `timeout` seconds (whichever comes first).
    static func wait<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let promise = future.eventLoop.makePromise(of: T.self)
        let done = Once()
        let complete: @Sendable (Result<T, any Error>) -> Void = { result in
            if done.first() { promise.completeWith(result) }
        }
        future.whenComplete(complete)
        let timer = future.eventLoop.scheduleTask(in: .seconds(timeout)) { complete(.failure(TimedOut())) }
        defer { timer.cancel() }
        return try promise.futureResult.wait()
    }

    /// The server's own words when it gave any (a permission refused, a missing table), else the error.
    static func reason(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                // insufficient_privilege: most often a job's read-only role asked to change the vault.
                let hint =
                    psql.serverInfo?[.sqlState] == "42501"
                    ? "; the role in the store URL may not do this (a job's read-only role cannot change the vault): "
                        + "use a role with the grants docs/postgresql.md lists" : ""
                return "the database said: \(message)\(hint)"
            }
            return psql.underlying.map(reason) ?? "\(psql.code)"
        }
        // "connection refused", "no such host": not NIO's whole account of each address it tried.
        if let connection = error as? NIOConnectionError {
            if connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return "cannot resolve the host \(connection.host)"
            }
            if let first = connection.connectionErrors.first { return reason(first.error) }
        }
        if let store = error as? StoreError {
            switch store {
            case .database(let what), .databaseUnanswered(let what): return what
            default: break
            }
        }
        if let timedOut = error as? TimedOut { return timedOut.description }
        // A system call's failure in its own words ("Connection refused"), not NIO's account of it.
        if let io = error as? IOError {
            let words = String(cString: strerror(io.errnoCode)).lowercased()
            return io.errnoCode == ECONNREFUSED ? words + " (is the server running and listening there?)" : words
        }
        return String(describing: error)
    }
}

/// True the first time only, from any thread.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    func first() -> Bool {
        lock.withLock {
            defer { done = true }
            return !done
        }
    }
}

extension PostgresRow {
    /// The cells of the row decoded as bytes (bytea) or integers.
    func bytes(_ index: Int) throws -> ByteBuffer {
        try Array(self)[index].decode(ByteBuffer.self)
    }

    func integer(_ index: Int) throws -> Int64 {
        try Array(self)[index].decode(Int64.self)
    }

    /// True when the cell is SQL NULL.
    func isNull(_ index: Int) -> Bool {
        Array(self)[index].bytes == nil
    }

    func bool(_ index: Int) throws -> Bool {
        try Array(self)[index].decode(Bool.self)
    }
}
