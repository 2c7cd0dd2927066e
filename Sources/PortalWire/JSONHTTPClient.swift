import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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
public struct JSONHTTPClient: Sendable {
    public let baseURL: URL
    public let timeout: Double
    private let session: URLSession

    public init(baseURL: URL, timeout: Double) {
        self.baseURL = baseURL
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: configuration)
    }

    /// Sends one request and returns the status and body, whatever the status.
    public func exchange(
        _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]
    ) async throws(HTTPExchangeError) -> (status: Int, body: Data) {
        guard let url = URL(string: baseURL.absoluteString.trimmingCharacters(in: ["/"]) + path) else {
            throw .unreachable("bad URL for \(path)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        do {
            let (data, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { throw HTTPExchangeError.lost("not an HTTP answer") }
            return (http.statusCode, data)
        } catch let error as HTTPExchangeError {
            throw error
        } catch let error as URLError {
            switch error.code {
            case .timedOut: throw .timedOut(seconds: timeout)
            case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet, .badURL,
                .unsupportedURL:
                throw .unreachable(error.localizedDescription)
            default: throw .lost(error.localizedDescription)
            }
        } catch {
            throw .lost("\(error)")
        }
    }

    /// Encodes `value` as the JSON body of a request.
    public static func body(_ value: some Encodable) -> Data? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try? encoder.encode(value)
    }
}
