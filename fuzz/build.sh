#!/usr/bin/env bash
# Builds fuzz/FuzzVault.swift with libFuzzer and AddressSanitizer into .build-fuzz/fuzz-vault.
# SwiftPM cannot build an executable without main, so the two modules it needs are compiled here by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz
mkdir -p "$out"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -I "$out" -I Sources/CSodium -I Sources/CPosix)
swiftc "${flags[@]}" -module-name Sodium -emit-module -emit-module-path "$out/Sodium.swiftmodule" \
    -emit-library -static -o "$out/libSodium.a" Sources/Sodium/*.swift
swiftc "${flags[@]}" -module-name SealedFile -emit-module -emit-module-path "$out/SealedFile.swiftmodule" \
    -emit-library -static -o "$out/libSealedFile.a" Sources/SealedFile/*.swift
swiftc "${flags[@]}" -L "$out" -lSealedFile -lSodium -lsodium fuzz/FuzzVault.swift -o "$out/fuzz-vault"
echo "$out/fuzz-vault"
