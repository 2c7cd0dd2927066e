#!/usr/bin/env bash
# make e2e: the chain proven with a real third-party client. A GSTIN and an API client are registered on
# `nicvault sandbox serve`; the gst-e-invoicing library (PyPI 0.9.0, in a virtual environment) then
# authenticates and reads the GSTIN back, fed by `nicvault exec` (nothing on disk) and by a gst-irn .env read
# with python-dotenv. Prints "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/debug/nicvault}
venv=.build/e2e-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import gst_irn, dotenv' 2>/dev/null; then
    # Debian's python3 with python3-venv: pip installs into the venv, never into the system (PEP 668).
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q gst-e-invoicing==0.9.0 python-dotenv
fi
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
umask 077
export XDG_STATE_HOME="$work/state" XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache" NICVAULT_PASSPHRASE_FILE="$work/pass"
unset NICVAULT_FILE NICVAULT_PASSPHRASE NICVAULT_PASSPHRASE_COMMAND NICVAULT_SESSION
printf 'end to end passphrase\n' > "$work/pass"
passed=0 failed=0
check() {
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}

"$bin" sandbox serve --port 0 --state "$work/portal.json" 2> "$work/serve.log" &
server=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1)
gstin=27AABCD1234E1Z8

"$bin" init --kdf interactive 2>/dev/null
check "register the main portal login" "$bin" register "$gstin" --portal "$url" --otp-from-outbox
check "the main user makes an API user (API Registration, OTP)" "$bin" register "$gstin" --kind api --portal "$url" \
    --otp-from-outbox
# The sandbox sends direct API client credentials to the registered mobile, as NIC's sandbox does; nicvault
# reads that message once and stores the client (the state file is shared with the running server).
check "sandbox client issue stores the API client" "$bin" sandbox client issue "$gstin" --name direct-keys \
    --state "$work/portal.json"
"$bin" sandbox public-key --state "$work/portal.json" > "$work/nic.pem"
check "link the client" "$bin" set "$gstin" --kind api --client direct-keys
check "nicvault verify" "$bin" verify "$gstin" --portal "$url"
check "gst-e-invoicing under nicvault exec" env SANDBOX_URL="$url" "$bin" exec "$gstin" --kind api --profile gst-irn \
    --public-key "$work/nic.pem" -- "$venv/bin/python" interop/gst_irn_check.py
"$bin" export --profile gst-irn "$gstin" --kind api --public-key "$work/nic.pem" --output "$work/gst-irn.env" 2>/dev/null
check "gst-e-invoicing fed by export --profile gst-irn and python-dotenv" env SANDBOX_URL="$url" \
    "$venv/bin/python" interop/gst_irn_check.py --dotenv "$work/gst-irn.env"
rm -f "$work/gst-irn.env"
check "rotate the API user (main user, OTP), then verify" "$bin" rotate "$gstin" --kind api --portal "$url" \
    --otp-from-outbox --verify
check "gst-e-invoicing with the rotated password" env SANDBOX_URL="$url" "$bin" exec "$gstin" --kind api --profile gst-irn \
    --public-key "$work/nic.pem" -- "$venv/bin/python" interop/gst_irn_check.py
# export --profile nic-auth --encrypt gives a body ready to post; the AppKey it returns decrypts the Sek.
"$bin" export --profile nic-auth --encrypt "$gstin" --kind api --output "$work/auth.json"
check "post the body of export --profile nic-auth --encrypt" "$venv/bin/python" - "$work/auth.json" "$url" <<'PY'
import json, sys, requests
from gst_irn import crypto
request = json.load(open(sys.argv[1]))
answer = requests.post(sys.argv[2] + "/eivital/v1.04/auth", json=request["body"], headers=request["headers"]).json()
assert answer["Status"] == 1, answer
assert len(crypto.decrypt_with_aes(answer["Data"]["Sek"], request["appKey"], raw=True)) == 32
PY
rm -f "$work/auth.json"
check "no token cache was written" test ! -e tokens_cache
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
