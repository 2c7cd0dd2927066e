#!/usr/bin/env bash
# The main job from nothing, on a throwaway vault and the embedded sandbox portal: create the vault,
# register three GSTINs (OTPs read from the sandbox outbox), list them, show one, change the passphrase.
# Everything lives in a temporary folder that is removed at the end; nothing touches your own vault.
set -euo pipefail
bin=${1:-.build/debug/nicvault}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077
export XDG_DATA_HOME="$work/data" XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache"
unset NICVAULT_FILE NICVAULT_PASSPHRASE NICVAULT_PASSPHRASE_COMMAND
# The passphrase comes from a file, the way an unattended job passes it (never on the command line).
printf 'demo passphrase, throw away\n' > "$work/pass"
export NICVAULT_PASSPHRASE_FILE="$work/pass"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }

step nicvault init --kdf moderate
"$bin" init --kdf moderate
for gstin in 27AABCD1234E1Z8 29AACCK5521H1ZK 07AAFFR3310M1Z8; do
    step nicvault register "$gstin" --otp-from-outbox
    "$bin" register "$gstin" --otp-from-outbox
done
# An API user is made as on NIC's portal: the GSTIN's main login (registered first) logs in, API Registration,
# an OTP, "Through GSP" with the GSP from the portal's list.
step nicvault register 24ABCPP4455Q1Z6 --otp-from-outbox
"$bin" register 24ABCPP4455Q1Z6 --otp-from-outbox
step nicvault register 24ABCPP4455Q1Z6 --kind api --gsp "Demo GSP" --otp-from-outbox
"$bin" register 24ABCPP4455Q1Z6 --kind api --gsp "Demo GSP" --otp-from-outbox
step nicvault list
"$bin" list
step nicvault show 27AABCD1234E1Z8
"$bin" show 27AABCD1234E1Z8
step nicvault client add demo-gsp --env sandbox --issuer "Demo GSP" '(id and secret on stdin)'
printf 'AACCT29GSPB5H8G\ndemo-client-secret\n' | "$bin" client add demo-gsp --env sandbox --issuer "Demo GSP"
"$bin" set 24ABCPP4455Q1Z6 --kind api --client demo-gsp
step nicvault export --profile gst-irn 24ABCPP4455Q1Z6 --kind api --output gst-irn.env
"$bin" export --profile gst-irn 24ABCPP4455Q1Z6 --kind api --output "$work/gst-irn.env"
sed 's/PASSWORD=.*/PASSWORD=<hidden in the demo>/; s/SECRET=.*/SECRET=<hidden in the demo>/' "$work/gst-irn.env"
step nicvault exec 24ABCPP4455Q1Z6 --kind api -- sh -c 'echo "user $NIC_USERNAME, password of ${#NIC_PASSWORD} characters"'
"$bin" exec 24ABCPP4455Q1Z6 --kind api -- sh -c 'echo "user $NIC_USERNAME, password of ${#NIC_PASSWORD} characters"'
step nicvault rotate 27AABCD1234E1Z8
"$bin" rotate 27AABCD1234E1Z8
step nicvault history 27AABCD1234E1Z8
"$bin" history 27AABCD1234E1Z8
step nicvault info
"$bin" info
step nicvault gstin 27AAPFU0939F1ZV 27AAPFU0939F1ZO '(no vault needed; one is refused, exit 64)'
"$bin" gstin 27AAPFU0939F1ZV 27AAPFU0939F1ZO || true
printf '\nDemo finished; the throwaway vault in %s is removed.\n' "$work" >&2
