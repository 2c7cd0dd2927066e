/// A GST state or territory code: the first two digits of a GSTIN.
public struct StateCode: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The two-digit code, such as "27".
    public let code: String
    /// The state or territory name.
    public let name: String
    /// True for codes that no longer appear in the state master but still occur in older GSTINs (25).
    public let isRetired: Bool

    /// The state for a two-digit code, or nil when no such state exists.
    public init?(code: String) {
        guard let entry = StateCode.table[code] else { return nil }
        self.code = code
        name = entry
        isRetired = code == "25"
    }

    public var description: String { "\(code) \(name)" }

    /// Every known code with its name, including 38 Ladakh, 97 Other Territory and 99 Centre Jurisdiction.
    public static let table: [String: String] = [
        "01": "Jammu and Kashmir", "02": "Himachal Pradesh", "03": "Punjab", "04": "Chandigarh",
        "05": "Uttarakhand", "06": "Haryana", "07": "Delhi", "08": "Rajasthan", "09": "Uttar Pradesh",
        "10": "Bihar", "11": "Sikkim", "12": "Arunachal Pradesh", "13": "Nagaland", "14": "Manipur",
        "15": "Mizoram", "16": "Tripura", "17": "Meghalaya", "18": "Assam", "19": "West Bengal",
        "20": "Jharkhand", "21": "Odisha", "22": "Chhattisgarh", "23": "Madhya Pradesh", "24": "Gujarat",
        "25": "Daman and Diu (retired, merged into 26)",
        "26": "Dadra and Nagar Haveli and Daman and Diu", "27": "Maharashtra", "28": "Andhra Pradesh (old)",
        "29": "Karnataka", "30": "Goa", "31": "Lakshadweep", "32": "Kerala", "33": "Tamil Nadu",
        "34": "Puducherry", "35": "Andaman and Nicobar Islands", "36": "Telangana", "37": "Andhra Pradesh",
        "38": "Ladakh", "97": "Other Territory", "99": "Centre Jurisdiction",
    ]

    /// All states, ordered by code.
    public static var all: [StateCode] { table.keys.sorted().compactMap { StateCode(code: $0) } }
}
