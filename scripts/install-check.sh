#!/usr/bin/env bash
# make install-check: `make install` into a temporary prefix (the debug build, so CI builds nothing twice), then
# checks what it put there: the binary runs, `man` shows the page, the bash completion loads and completes a
# subcommand, the zsh and fish ones are there. Then a release install (what a user gets: the Swift runtime linked
# in) into another prefix: it runs and loads no Swift library. Prints "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make -s install CONFIG=debug PREFIX="$prefix" >/dev/null
passed=0 failed=0
check() {
    local name=$1; shift
    if "$@" >/dev/null 2>&1; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}
check "the installed binary runs" "$prefix/bin/nicvault" --version
check "man shows nicvault(1)" sh -c "MANPAGER=cat man -l '$prefix/share/man/man1/nicvault.1' | grep -q 'nicvault rotate'"
check "MANPATH finds it as man nicvault" sh -c "MANPATH='$prefix/share/man' MANPAGER=cat man nicvault | grep -q 'EXIT STATUS'"
check "the bash completion loads and offers rotate" bash -c "
    source '$prefix/share/bash-completion/completions/nicvault'
    COMP_WORDS=(nicvault rot); COMP_CWORD=1; COMP_LINE='nicvault rot'; COMP_POINT=\${#COMP_LINE}
    _nicvault 2>/dev/null || true
    printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qx rotate"
check "the zsh completion is a compdef" grep -q '#compdef nicvault' "$prefix/share/zsh/site-functions/_nicvault"
check "the fish completion names the subcommands" grep -q 'rotate' "$prefix/share/fish/vendor_completions.d/nicvault.fish"
# The release install (what `make install` gives a user): the Swift runtime and Foundation are linked in, so
# the binary needs no Swift toolchain at run time.
release=$(mktemp -d)
trap 'rm -rf "$prefix" "$release"' EXIT
make -s install PREFIX="$release" >/dev/null
check "the release binary runs" "$release/bin/nicvault" gstin 27AAPFU0939F1ZV
check "the release binary needs no Swift library" sh -c "! ldd '$release/bin/nicvault' | grep -q -e libswift -e libFoundation"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
