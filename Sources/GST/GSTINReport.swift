/// What `nicvault gstin` says of one input: accepted with its parts, or refused with the reason.
public struct GSTINReport: Encodable, Sendable {
    public var input: String
    public var accepted = false
    public var reason: String?
    public var gstin: String?
    public var environment: String
    public var state: StateRef?
    public var pan: String?
    public var panHolder: String?
    public var entityNumber: String?
    public var registrationType: String?
    public var checkCharacter: String?
    public var checkCharacterValid: Bool?
    public var warnings: [String] = []

    /// Checks `input` under the rules of `environment`.
    public init(_ input: String, environment: Environment) {
        self.input = input
        self.environment = environment.rawValue
        do {
            let gstin = try GSTIN(parsing: input, environment: environment)
            accepted = true
            self.gstin = gstin.value
            state = StateRef(gstin.state)
            pan = gstin.pan?.value
            panHolder = gstin.pan?.holderType
            entityNumber = gstin.entityNumber.map { String($0) }
            registrationType = gstin.registrationType.rawValue
            checkCharacter = String(gstin.value.last!)
            checkCharacterValid = gstin.hasValidCheckCharacter
            warnings = gstin.warnings
        } catch {
            reason = error.description
        }
    }
}
