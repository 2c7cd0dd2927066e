import FormatVectors

// Prints docs/format-vectors.md. Run through `make vectors`.
do {
    print(try FormatVectors.document(), terminator: "")
} catch {
    print("could not generate the vectors: \(error)")
}
