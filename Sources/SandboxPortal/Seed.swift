import Foundation
import GST

/// A taxpayer as the GST Common Portal knows it: what the e-invoice portal shows at registration.
public struct Taxpayer: Codable, Sendable, Equatable {
    public var gstin: String
    public var legalName: String
    public var tradeName: String?
    /// "active" or "cancelled".
    public var status: String
    /// The registered mobile (10 digits); OTPs go here.
    public var mobile: String
    public var email: String

    public init(gstin: String, legalName: String, tradeName: String?, status: String, mobile: String, email: String) {
        self.gstin = gstin
        self.legalName = legalName
        self.tradeName = tradeName
        self.status = status
        self.mobile = mobile
        self.email = email
    }

    /// "******4321", as the portal shows it.
    public var maskedMobile: String { String(repeating: "*", count: max(0, mobile.count - 4)) + mobile.suffix(4) }

    /// "a*******@example.com".
    public var maskedEmail: String {
        guard let at = email.firstIndex(of: "@"), at > email.startIndex else { return "****" }
        let name = email[..<at]
        return String(name.prefix(1)) + String(repeating: "*", count: max(1, name.count - 1)) + email[at...]
    }
}

/// The taxpayers the sandbox portal knows, loaded from a seed (JSON: an array of `Taxpayer`).
public enum Seed {
    /// Fictional taxpayers shipped with nicvault: valid GSTINs in several states and registration types,
    /// two cancelled, and NIC-style sandbox GSTINs whose check character fails (as NIC's own samples do).
    public static let builtIn = #"""
        [
        {"gstin":"27AABCD1234E1Z8","legalName":"Demo Traders Private Limited","tradeName":"Demo Traders","status":"active","mobile":"9876504321","email":"accounts@demotraders.example"},
        {"gstin":"27AABCD1234E2Z7","legalName":"Demo Traders Private Limited","tradeName":"Demo Traders Pune","status":"active","mobile":"9876504321","email":"accounts@demotraders.example"},
        {"gstin":"29AACCK5521H1ZK","legalName":"Kaveri Textiles Limited","tradeName":"Kaveri Textiles","status":"active","mobile":"9845012345","email":"gst@kaveri.example"},
        {"gstin":"07AAFFR3310M1Z8","legalName":"Rajdhani Foods LLP","tradeName":"Rajdhani Foods","status":"active","mobile":"9810098100","email":"finance@rajdhani.example"},
        {"gstin":"33AABCT7788K2ZQ","legalName":"Thanjavur Bronze Works Private Limited","tradeName":"Bronze Works","status":"active","mobile":"9444012121","email":"ca@bronzeworks.example"},
        {"gstin":"24ABCPP4455Q1Z6","legalName":"Pooja Patel","tradeName":"Patel Hardware","status":"active","mobile":"9825011122","email":"pooja@patelhw.example"},
        {"gstin":"19AADCB9090L1Z4","legalName":"Bengal Jute Mills Limited","tradeName":"Bengal Jute","status":"active","mobile":"9830012345","email":"tax@bengaljute.example"},
        {"gstin":"36AAECH1122J1ZW","legalName":"Hyderabad Pharma Private Limited","tradeName":"HydPharma","status":"active","mobile":"9849011223","email":"it@hydpharma.example"},
        {"gstin":"09AAGCL6543N1ZW","legalName":"Lucknow Chikan Exports Private Limited","tradeName":"Chikan Exports","status":"active","mobile":"9839012345","email":"gst@chikan.example"},
        {"gstin":"32AAHFK2468P1ZX","legalName":"Kochi Spices Partners","tradeName":"Kochi Spices","status":"active","mobile":"9847012345","email":"accounts@kochispices.example"},
        {"gstin":"06AAJCG1357R1Z2","legalName":"Gurugram Logistics Private Limited","tradeName":"GGN Logistics","status":"active","mobile":"9810155555","email":"ops@ggnlog.example"},
        {"gstin":"08AAKTJ8642S1ZJ","legalName":"Jaipur Gems Trust","tradeName":"Jaipur Gems","status":"active","mobile":"9829012345","email":"trust@jaipurgems.example"},
        {"gstin":"38AALCL1001T1Z3","legalName":"Ladakh Apricot Growers Private Limited","tradeName":"Apricot Growers","status":"active","mobile":"9419012345","email":"info@apricot.example"},
        {"gstin":"21AANCO4004V1Z0","legalName":"Odisha Steel Components Limited","tradeName":"Odisha Steel","status":"active","mobile":"9437012345","email":"finance@odishasteel.example"},
        {"gstin":"23AAPCM5005W1ZR","legalName":"Malwa Agro Private Limited","tradeName":"Malwa Agro","status":"active","mobile":"9425012345","email":"gst@malwa.example"},
        {"gstin":"37AARCA7007Y1ZI","legalName":"Amaravati Solar Private Limited","tradeName":"Amaravati Solar","status":"active","mobile":"9440012345","email":"tax@amaravati.example"},
        {"gstin":"29AACCK5521H1CV","legalName":"Kaveri Textiles Limited","tradeName":"Kaveri Online Store (TCS)","status":"active","mobile":"9845012345","email":"gst@kaveri.example"},
        {"gstin":"06DELI09652G1DA","legalName":"Office of the Demo Deductor","tradeName":null,"status":"active","mobile":"9811112222","email":"tds@deductor.example"},
        {"gstin":"30AAMCG3003U1ZF","legalName":"Goa Cashew Company Private Limited","tradeName":"Goa Cashew","status":"cancelled","mobile":"9822012345","email":"gst@goacashew.example"},
        {"gstin":"10AAQCB6006X1Z3","legalName":"Bihar Rice Mills Private Limited","tradeName":"Bihar Rice","status":"cancelled","mobile":"9431012345","email":"gst@biharrice.example"},
        {"gstin":"37ARZPT4384Q1MT","legalName":"NIC Sandbox Seller","tradeName":"Sandbox Seller","status":"active","mobile":"9000000001","email":"seller@sandbox.example"},
        {"gstin":"29AWGPV7107B1Z1","legalName":"NIC Sandbox Buyer","tradeName":"Sandbox Buyer","status":"active","mobile":"9000000002","email":"buyer@sandbox.example"},
        {"gstin":"02AMBPG7773M002","legalName":"GSP Sandbox Taxpayer","tradeName":"GSP Sandbox","status":"active","mobile":"9000000003","email":"gsp@sandbox.example"}
        ]
        """#

    /// Decodes and checks a seed: every GSTIN must pass the sandbox rules and appear once.
    public static func load(json: String) throws -> [Taxpayer] {
        let taxpayers = try JSONDecoder().decode([Taxpayer].self, from: Data(json.utf8))
        var seen = Set<String>()
        for taxpayer in taxpayers {
            let gstin = try GSTIN(parsing: taxpayer.gstin, environment: .sandbox)
            guard seen.insert(gstin.value).inserted else { throw SeedError.duplicate(gstin.value) }
            guard ["active", "cancelled"].contains(taxpayer.status) else {
                throw SeedError.badStatus(gstin.value, taxpayer.status)
            }
            guard taxpayer.mobile.count == 10, taxpayer.mobile.allSatisfy(\.isNumber) else {
                throw SeedError.badMobile(gstin.value)
            }
        }
        return taxpayers
    }

    /// The taxpayers of a seed file, or the built-in ones when `path` is nil.
    public static func load(file path: String?) throws -> [Taxpayer] {
        guard let path else { return try load(json: builtIn) }
        guard let data = FileManager.default.contents(atPath: path) else { throw SeedError.unreadable(path) }
        do {
            return try load(json: String(decoding: data, as: UTF8.self))
        } catch let error as SeedError {
            throw error
        } catch {
            throw SeedError.invalid(path, "\(error)")
        }
    }
}

/// Why a seed file was refused.
public enum SeedError: Error, CustomStringConvertible {
    case duplicate(String)
    case badStatus(String, String)
    case badMobile(String)
    case unreadable(String)
    case invalid(String, String)
    case notStarted

    public var description: String {
        switch self {
        case .unreadable(let path): "cannot read the seed file \(path)"
        case .invalid(let path, let why): "the seed file \(path) is not valid: \(why)"
        case .notStarted: "the embedded sandbox portal did not start"
        case .duplicate(let g): "the seed lists \(g) twice"
        case .badStatus(let g, let s): "\(g) has status \"\(s)\"; use active or cancelled"
        case .badMobile(let g): "\(g) needs a 10-digit registered mobile"
        }
    }
}
