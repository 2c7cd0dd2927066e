import AsyncHTTPClient
import NIOCore
import Testing

@testable import PortalWire

#if canImport(Glibc)
    import Glibc
#endif

/// The portal client's reading of proxy variables and of its failures (whether a request may have gone out).
@Suite("HTTP client: proxies from the environment, and what a failure proves")
struct HTTPClientTests {
    @Test func proxiesAreReadAsCurlReadsThem() throws {
        let settings = try ProxySettings([
            "https_proxy": "http://asha:p%40ss@proxy.corp:3128", "http_proxy": "proxy.corp:8080",
            "no_proxy": " .intra.example, *.lan ,erp.example:8443",
        ])
        let https = settings.proxy(scheme: "https", host: "einv-apisandbox.nic.in")
        #expect(
            https == .server(host: "proxy.corp", port: 3128, authorization: .basic(username: "asha", password: "p@ss")))
        #expect(settings.proxy(scheme: "http", host: "portal.example") == .server(host: "proxy.corp", port: 8080))
        // no_proxy: a domain covers its hosts; a port in an entry is not compared; loopback is always direct.
        for host in ["intra.example", "api.intra.example", "x.lan", "erp.example", "127.0.0.1", "localhost", "[::1]"] {
            #expect(settings.proxy(scheme: "https", host: host) == nil, "\(host)")
        }
        #expect(settings.proxy(scheme: "https", host: "notintra.example") != nil)
    }

    @Test func allProxyUpperCaseAndStar() throws {
        let all = try ProxySettings(["ALL_PROXY": "socks5://127.0.0.2:1081"])
        #expect(all.proxy(scheme: "https", host: "a.example") == .socksServer(host: "127.0.0.2", port: 1081))
        #expect(all.proxy(scheme: "http", host: "a.example") == .socksServer(host: "127.0.0.2", port: 1081))
        // Upper-case HTTP_PROXY is not read (CGI sets it from a request header); HTTPS_PROXY is.
        #expect(try ProxySettings(["HTTP_PROXY": "http://p.example:1"]).proxy(scheme: "http", host: "a.example") == nil)
        #expect(try ProxySettings(["HTTPS_PROXY": "p.example:2"]).proxy(scheme: "https", host: "a.example") != nil)
        #expect(
            try ProxySettings(["https_proxy": "p.example:3", "no_proxy": "*"]).proxy(scheme: "https", host: "a") == nil)
        #expect(try ProxySettings([:]).proxy(scheme: "https", host: "a.example") == nil)
        #expect(throws: ProxySettings.Refusal.self) { try ProxySettings(["https_proxy": "https://p.example:443"]) }
    }

    @Test func onlyAFailureBeforeAnyConnectionProvesTheRequestWasNotSent() {
        let refused = IOError(errnoCode: ECONNREFUSED, reason: "connect")
        #expect(JSONHTTPClient.classify(refused, timeout: 1) == .unreachable("connection refused"))
        #expect(JSONHTTPClient.classify(HTTPClientError.connectTimeout, timeout: 1).isUnreachable)
        // After the request may have gone out: a reset, a closed connection, a cut answer, no answer in time.
        #expect(JSONHTTPClient.classify(IOError(errnoCode: ECONNRESET, reason: "read"), timeout: 1).isLost)
        #expect(JSONHTTPClient.classify(HTTPClientError.remoteConnectionClosed, timeout: 1).isLost)
        #expect(JSONHTTPClient.classify(HTTPClientError.deadlineExceeded, timeout: 2) == .timedOut(seconds: 2))
        #expect(JSONHTTPClient.classify(HTTPClientError.readTimeout, timeout: 2) == .timedOut(seconds: 2))
        #expect(JSONHTTPClient.classify(HTTPClientError.cancelled, timeout: 1).isLost)
    }
}

extension HTTPExchangeError {
    var isUnreachable: Bool { if case .unreachable = self { true } else { false } }
    var isLost: Bool { if case .lost = self { true } else { false } }
}
