#!/usr/bin/env bash
# The main job on a throwaway vault: create it, look at it, change its passphrase, check GSTINs.
# Everything lives in a temporary folder that is removed at the end; nothing touches your own vault.
set -euo pipefail
bin=${1:-.build/debug/nicvault}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077
export XDG_DATA_HOME="$work/data" XDG_STATE_HOME="$work/state"
unset NICVAULT_FILE NICVAULT_PASSPHRASE NICVAULT_PASSPHRASE_FILE NICVAULT_PASSPHRASE_COMMAND

# Demo passphrases come from files, the way an unattended job would pass them (never on the command line).
printf 'demo passphrase, throw away\n' > "$work/pass"
printf 'a second demo passphrase\n' > "$work/new-pass"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }

step nicvault init --kdf moderate
"$bin" init --passphrase-file "$work/pass" --kdf moderate
step nicvault info
"$bin" info --passphrase-file "$work/pass"
step nicvault passwd --new-passphrase-file new-pass
"$bin" passwd --passphrase-file "$work/pass" --new-passphrase-file "$work/new-pass"
step nicvault info --json '(with the new passphrase; generation 2)'
"$bin" info --passphrase-file "$work/new-pass" --json
step nicvault info '(with the old passphrase: refused, exit 2)'
if "$bin" info --passphrase-file "$work/pass"; then echo "unexpected: the old passphrase opened the vault" >&2; exit 1; fi
step nicvault gstin 27AAPFU0939F1ZV 27AAPFU0939F1ZO '(no vault needed; one is refused, exit 64)'
"$bin" gstin 27AAPFU0939F1ZV 27AAPFU0939F1ZO || true
printf '\nDemo finished; the throwaway vault in %s is removed.\n' "$work" >&2
