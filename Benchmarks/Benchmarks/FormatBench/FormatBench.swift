import Benchmark
import GST
import NICVault
import SealedFile
import Sodium

/// A payload of `count` credentials, as nicvault writes it.
func payload(_ count: Int) -> VaultPayload {
    let now = Timestamp(iso8601: "2026-11-26T00:00:00Z")!
    let credentials = (0..<count).map { index -> Credential in
        let body = "27AAAAA" + String(format: "%04d", index % 10_000) + "A1Z"
        let gstin = try! GSTIN(parsing: body + String(GSTIN.checkCharacter(for: body)), environment: .sandbox)
        return Credential(
            environment: .sandbox, gstin: gstin, kind: index < 10_000 ? .portal : .api,
            legalName: "Benchmark Taxpayer \(index)", userID: "BENCH\(index)",
            password: try! Secret(utf8Bytes: Array("Xk7@pQ2mRt9#vLw".utf8)), createdAt: now)
    }
    return VaultPayload(credentials: credentials)
}

let benchmarks: @Sendable () -> Void = {
    let key = try! SymmetricKey.random()
    let header = VaultHeader(
        vaultID: Array(repeating: 1, count: 16), generation: 1,
        slots: [try! RecipientSlot(wrapping: key, for: X25519PrivateKey().publicKey)])

    for count in [10, 1000, 10_000] {
        let bytes = try! payload(count).sealedBytes()
        let sealed = try! VaultFormat.seal(bytes, key: key, header: header)

        Benchmark("seal \(count) credentials (\(bytes.count / 1024) KiB)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try! VaultFormat.seal(bytes, key: key, header: header)) }
        }
        Benchmark("open \(count) credentials") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try! VaultFormat.open(sealed, with: key).payload.count) }
        }
        Benchmark("JSON decode \(count) credentials") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try! VaultPayload.decode(bytes).credentials.count) }
        }
        Benchmark("JSON encode \(count) credentials") { benchmark in
            let value = try! VaultPayload.decode(bytes)
            for _ in benchmark.scaledIterations { blackHole(try! value.sealedBytes().count) }
        }
    }
    Benchmark("header parse") { benchmark in
        let sealed = try! VaultFormat.seal(try! payload(10).sealedBytes(), key: key, header: header)
        for _ in benchmark.scaledIterations { blackHole(try! VaultFormat.parse(sealed).headerBytes.count) }
    }
}
