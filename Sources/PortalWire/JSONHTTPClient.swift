import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Why an HTTP exchange gave no answer. Only `unreachable` proves the request was never sent.
public enum HTTPExchangeError: Error, Sendable, Equatable {
    /// No answer within the time-out: the request may have been carried out.
    case timedOut(seconds: Double)
    /// No connection could be made: the request was never sent.
    case unreachable(String)
    /// The connection broke after the request went out (a reset, a cut answer).
    case lost(String)
}

/// JSON over HTTP to one base URL, with one time-out: the sandbox driver and NIC's auth client both use it.
///
/// Built on AsyncHTTPClient (NIO, BoringSSL with the system's trust roots), which the binary already carries for
/// PostgreSQL and the sandbox server: not on URLSession, whose libcurl loads about thirty more shared libraries
/// (LDAP, Kerberos, SSH, RTMP) into every nicvault process, the ones holding vault keys included, and costs every
/// command about 8 ms to link them.
public struct JSONHTTPClient: Sendable {
    public let baseURL: URL
    public let timeout: Double

    /// Answers larger than this are refused as lost (NIC's answers are a few KB).
    static let maximumAnswerBytes = 8 << 20

    public init(baseURL: URL, timeout: Double) {
        self.baseURL = baseURL
        self.timeout = timeout
    }

    /// Sends one request and returns the status and body, whatever the status.
    public func exchange(
        _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]
    ) async throws(HTTPExchangeError) -> (status: Int, body: Data) {
        let address = baseURL.absoluteString.trimmingCharacters(in: ["/"]) + path
        guard let url = URL(string: address), let host = url.host, let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https"
        else {
            throw .unreachable("bad URL for \(path)")
        }
        let client: HTTPClient
        do {
            client = try HTTPClients.client(scheme: scheme, host: host)
        } catch {
            throw .unreachable(error.description)
        }
        var request = HTTPClientRequest(url: address)
        request.method = HTTPMethod(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        do {
            let milliseconds = Int64((timeout * 1000).rounded(.up))
            let response = try await client.execute(request, timeout: .milliseconds(milliseconds))
            let bytes = try await response.body.collect(upTo: Self.maximumAnswerBytes)
            return (Int(response.status.code), Data(bytes.readableBytesView))
        } catch {
            throw Self.classify(error, timeout: timeout)
        }
    }

    /// What an error of AsyncHTTPClient, NIO or NIOSSL says about the request: never sent (`unreachable`) only
    /// when it failed before a connection carried it (no connection, no proxy tunnel, no TLS session); no answer in
    /// time (`timedOut`); anything else is an answer lost after the request may have gone out.
    static func classify(_ error: any Error, timeout: Double) -> HTTPExchangeError {
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .timedOut(seconds: timeout)
            case .connectTimeout, .tlsHandshakeTimeout, .httpProxyHandshakeTimeout, .socksHandshakeTimeout,
                .getConnectionFromPoolTimeout:
                return .unreachable("no connection within the time-out")
            case .invalidURL, .emptyHost, .emptyScheme, .invalidProxyResponse, .proxyAuthenticationRequired:
                return .unreachable(String(describing: client))
            default: return .lost(String(describing: client))
            }
        }
        if let connection = error as? NIOConnectionError {
            if connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return .unreachable("cannot resolve the host \(connection.host)")
            }
            return connection.connectionErrors.first.map { classify($0.error, timeout: timeout) }
                ?? .unreachable("no address of \(connection.host) answered")
        }
        if let io = error as? IOError {
            let words = String(cString: strerror(io.errnoCode)).lowercased()
            // Errors a socket gives only while it connects: nothing was sent.
            if [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(io.errnoCode) {
                return .unreachable(words)
            }
            return .lost(words)
        }
        if case .connectTimeout? = error as? ChannelError {
            return .unreachable("no connection within the time-out")
        }
        if case .handshakeFailed(let reason) = error as? NIOSSLError {
            // BoringSSL's words carry a source path; the reason that matters is a name in them.
            let text = String(describing: reason)
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return .unreachable("the server's TLS certificate is not trusted by this machine")
            }
            return .unreachable("the TLS handshake failed")
        }
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return .unreachable("the server's certificate is not for this host: \(extra)")
        }
        return .lost(String(describing: error))
    }

    /// Encodes `value` as the JSON body of a request.
    public static func body(_ value: some Encodable) -> Data? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try? encoder.encode(value)
    }
}

/// The process's HTTP clients: one direct, one per proxy the environment names (made when first needed, never
/// shut down: they live as long as the process).
enum HTTPClients {
    static let direct = make(proxy: nil)
    private static let settings = Result { () throws(ProxySettings.Refusal) in
        try ProxySettings(ProcessInfo.processInfo.environment)
    }
    private static let proxied = Mutex<[HTTPClient.Configuration.Proxy: HTTPClient]>([:])

    static func client(scheme: String, host: String) throws(ProxySettings.Refusal) -> HTTPClient {
        guard let proxy = try settings.get().proxy(scheme: scheme, host: host) else { return direct }
        return proxied.withLock { clients in
            if let client = clients[proxy] { return client }
            let client = make(proxy: proxy)
            clients[proxy] = client
            return client
        }
    }

    private static func make(proxy: HTTPClient.Configuration.Proxy?) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(10)), proxy: proxy, decompression: .disabled)
        // A connection that cannot be made fails the request at once (it was never sent), instead of being
        // retried in the background until the deadline, where it would read as "no answer in time".
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }
}

/// The proxy the environment names, read as curl reads it: `https_proxy` (or `HTTPS_PROXY`) for https addresses,
/// `http_proxy` for http ones, `all_proxy` (or `ALL_PROXY`) for both; `no_proxy` (or `NO_PROXY`) lists hosts and
/// domains reached directly (`*`: every one). A loopback address (the embedded sandbox) is always reached
/// directly. A proxy is `http://[user:password@]host[:port]` or `socks5://host[:port]`.
struct ProxySettings: Sendable {
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    let https: HTTPClient.Configuration.Proxy?
    let http: HTTPClient.Configuration.Proxy?
    let direct: [String]
    let directAlways: Bool

    init(_ env: [String: String]) throws(Refusal) {
        func proxy(_ names: String...) throws(Refusal) -> HTTPClient.Configuration.Proxy? {
            guard let name = names.first(where: { !(env[$0] ?? "").trimmingCharacters(in: .whitespaces).isEmpty })
            else { return nil }
            return try Self.parse(env[name]!, variable: name)
        }
        // Upper-case HTTP_PROXY is not read (a CGI program's request header arrives as that variable).
        let all = try proxy("all_proxy", "ALL_PROXY")
        https = try proxy("https_proxy", "HTTPS_PROXY") ?? all
        http = try proxy("http_proxy") ?? all
        let bypass = ["no_proxy", "NO_PROXY"].lazy.compactMap { env[$0] }.first { !$0.isEmpty } ?? ""
        let list = bypass.split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        directAlways = list.contains("*")
        direct = list.compactMap { entry in
            var name = entry
            if name.hasPrefix("*.") { name.removeFirst(2) }
            if name.hasPrefix(".") { name.removeFirst() }
            // A port in an entry is not compared: the host alone decides.
            if !name.hasPrefix("["), let colon = name.lastIndex(of: ":"), name.filter({ $0 == ":" }).count == 1 {
                name = String(name[..<colon])
            }
            return name.isEmpty ? nil : name
        }
    }

    /// The proxy for an address, nil to connect directly.
    func proxy(scheme: String, host: String) -> HTTPClient.Configuration.Proxy? {
        guard let proxy = scheme == "https" ? https : http else { return nil }
        let host = host.lowercased().trimmingCharacters(in: ["[", "]"])
        if directAlways || Self.isLoopback(host) { return nil }
        if direct.contains(where: { host == $0 || host.hasSuffix("." + $0) }) { return nil }
        return proxy
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host.hasPrefix("127.")
    }

    /// A proxy address from `variable`. A refusal names the variable, never its value (it may hold a password).
    static func parse(_ text: String, variable: String) throws(Refusal) -> HTTPClient.Configuration.Proxy {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let withScheme = trimmed.contains("://") ? trimmed : "http://" + trimmed
        guard let parts = URLComponents(string: withScheme), let host = parts.host, !host.isEmpty else {
            throw Refusal(description: "\(variable) is not a proxy address like http://proxy.example:3128")
        }
        let port = parts.port ?? 1080
        switch parts.scheme?.lowercased() {
        case "http":
            let authorization = parts.percentEncodedUser.map { user in
                HTTPClient.Authorization.basic(
                    username: user.removingPercentEncoding ?? user,
                    password: (parts.percentEncodedPassword ?? "").removingPercentEncoding ?? "")
            }
            return .server(host: host, port: port, authorization: authorization)
        case "socks5", "socks5h":
            return .socksServer(host: host, port: port)
        default:
            throw Refusal(
                description: "\(variable) names a \(parts.scheme ?? "")://\(host) proxy, which is not supported; "
                    + "give http:// or socks5://")
        }
    }
}
