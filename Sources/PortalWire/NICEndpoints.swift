/// Every NIC address nicvault knows, in one place.
public enum NICEndpoints {
    /// The production e-invoice portal, where people register and change passwords (IRP NIC1).
    public static let productionPortal = "https://einvoice1.gst.gov.in"
    /// NIC's public sandbox for developers (portal and API).
    public static let sandboxPortal = "https://einv-apisandbox.nic.in"
    /// The production API base (auth and e-invoice calls).
    public static let productionAPI = "https://api.einvoice1.gst.gov.in"
    /// The sandbox API base.
    public static let sandboxAPI = "https://einv-apisandbox.nic.in"

    /// The portal a person acts on for an environment.
    public static func portal(production: Bool) -> String { production ? productionPortal : sandboxPortal }
    /// The API base for an environment.
    public static func api(production: Bool) -> String { production ? productionAPI : sandboxAPI }
    /// NIC's auth URL (v1.04) for an environment.
    public static func auth(production: Bool) -> String { api(production: production) + PortalRoute.nicAuth.path }
}
