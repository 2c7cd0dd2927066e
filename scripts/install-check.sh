#!/usr/bin/env bash
# make install-check: `make install` into a temporary prefix (the debug build, so CI builds nothing twice), then
# checks what it put there: the binary runs, `man` shows the page, the bash completion loads and completes a
# subcommand, the zsh and fish ones are there. Prints "N passed, N failed".
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
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
