import ArgumentParser
import GST

extension Environment: ExpressibleByArgument {}

struct GSTINCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gstin",
        abstract: "Check and explain GSTINs (no vault needed).",
        discussion: """
            Shows the canonical form, state, PAN and holder type, entity number, registration type and check \
            character of each GSTIN, and exits 64 when any is refused. \
            Production needs the full format and check character; the sandbox only 15 upper-case letters and \
            digits that start with a known state code (NIC's own sandbox GSTINs fail the check).
            Example:
              nicvault gstin 27AAPFU0939F1ZV 29AAACI1681G1ZL
              nicvault gstin --env sandbox 37ARZPT4384Q1MT --json
            """
    )

    @Argument(help: "The GSTINs to check.")
    var gstins: [String]

    @Option(name: .long, help: "The rules to apply: production (default) or sandbox.")
    var env: Environment = .production

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let reports = gstins.map { GSTINReport($0, environment: env) }
        if json {
            try JSONOutput.print(reports)
        } else {
            for report in reports { print(report) }
        }
        if reports.contains(where: { !$0.accepted }) {
            throw CLIError("\(reports.filter { !$0.accepted }.count) of \(reports.count) refused", code: Exit.usage)
        }
    }

    func print(_ report: GSTINReport) {
        guard report.accepted, let gstin = report.gstin else {
            Console.out("\(report.input)  refused (\(report.environment)): \(report.reason ?? "invalid")")
            return
        }
        Console.out("\(gstin)  accepted (\(report.environment))")
        Console.out("  state:              \(report.state?.code ?? "") \(report.state?.name ?? "")")
        if let pan = report.pan { Console.out("  PAN:                \(pan) (\(report.panHolder ?? ""))") }
        if let entity = report.entityNumber { Console.out("  entity number:      \(entity)") }
        Console.out("  registration type:  \(report.registrationType ?? "")")
        let valid = report.checkCharacterValid == true ? "valid" : "does not match"
        Console.out("  check character:    \(report.checkCharacter ?? "") (\(valid))")
        for warning in report.warnings { Console.out("  warning:            \(warning)") }
    }
}
