import FormatVectors

// Prints docs/format-vectors.md, or with "v2" docs/format-vectors-v2.md. Run through `make vectors`.
do {
    let v2 = CommandLine.arguments.dropFirst().first == "v2"
    print(try v2 ? FormatVectorsV2.document() : FormatVectors.document(), terminator: "")
} catch {
    print("could not generate the vectors: \(error)")
}
