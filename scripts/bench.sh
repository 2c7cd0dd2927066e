#!/usr/bin/env bash
# make bench: the figures of docs/performance.md, measured in one run on this machine.
# Release build; hyperfine for wall time (mean of several runs), GNU time for peak memory (max RSS).
# Installs hyperfine, time, pass, gnupg and age from Debian when missing. Prints Markdown on stdout.
# BENCH_SIZES overrides the vault sizes (default "10 1000 10000 100000"); BENCH_SKIP_PASS=1 skips the
# pass and age comparison (its 1,000 gpg processes take a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${BENCH_SIZES:-"10 1000 10000 100000"}
missing=()
for tool in hyperfine pass age gpg; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    pkgs=$(printf '%s\n' "${missing[@]}" | sed 's/^gpg$/gnupg/' | tr '\n' ' ')
    echo "Installing $pkgs(Debian)" >&2
    apt-get update -qq && apt-get install -y -qq $pkgs >/dev/null
fi
swift build -c release --static-swift-stdlib >&2  # as make install builds it
bin=$PWD/.build/release/nicvault
gen=$PWD/.build/release/nicvault-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077
export XDG_STATE_HOME="$work/state" XDG_DATA_HOME="$work/data" XDG_RUNTIME_DIR="$work/run" XDG_CACHE_HOME="$work/cache"
mkdir -p "$XDG_RUNTIME_DIR"
unset NICVAULT_FILE NICVAULT_PASSPHRASE NICVAULT_PASSPHRASE_FILE NICVAULT_PASSPHRASE_COMMAND NICVAULT_SESSION
printf 'benchmark passphrase\n' > "$work/pass"

mean() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join('%.4f' % x['mean'] for x in r))" "$1"; }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null </dev/null | tail -1; }
ms() { python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) * 1000))" "$1"; }

echo "# nicvault benchmarks"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), libsodium $(pkg-config --modversion libsodium), release build."
echo

# 1. Unlock overhead: nicvault info against a bare Argon2id at the same parameters (MODERATE), same run.
"$gen" generate 10 "$work/v10.nicv" "$work/pass" >/dev/null
hyperfine -N --warmup 1 --runs 10 --export-json "$work/unlock.json" \
    "$bin info --vault $work/v10.nicv --passphrase-file $work/pass" \
    "$gen argon2 3 268435456" >&2
read -r info argon <<<"$(mean "$work/unlock.json")"
echo "## 1. Unlock overhead (MODERATE: 3 passes, 256 MiB)"
echo
echo "| nicvault info | bare Argon2id (process) | ratio |"
echo "|---|---|---|"
echo "| $(ms "$info") ms | $(ms "$argon") ms | $(python3 -c "print('%.3f' % ($info / $argon))") |"
echo

# 2. Scale.
echo "## 2. Scale (passphrase unlock included in every command)"
echo
echo "| credentials | file | list | show | export json | update (write) | peak RSS list | peak RSS export | peak RSS update |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $sizes; do
    vault="$work/v$n.nicv"
    [ -f "$vault" ] || "$gen" generate "$n" "$vault" "$work/pass" >/dev/null
    size=$(stat -c %s "$vault")
    first=$("$bin" list --vault "$vault" --passphrase-file "$work/pass" --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['gstin'])")
    runs=10  # 3 or 5 runs let a mean move by 20 to 30 ms between two runs of the same code (Argon2id alone varies by ± 7 ms)
    hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/scale.json" \
        "$bin list --vault $vault --passphrase-file $work/pass" \
        "$bin show $first --vault $vault --passphrase-file $work/pass" \
        "$bin export --profile json --vault $vault --passphrase-file $work/pass --output $work/export.json" \
        "sh -c 'printf \"Pw@%s9x\\n\" \$\$ | $bin update $first --vault $vault --passphrase-file $work/pass'" >&2
    read -r list show export update <<<"$(mean "$work/scale.json")"
    rl=$(rss "$bin" list --vault "$vault" --passphrase-file "$work/pass")
    re=$(rss "$bin" export --profile json --vault "$vault" --passphrase-file "$work/pass" --output "$work/export.json")
    ru=$(sh -c "printf 'Other@Pass2024x\n' | /usr/bin/time -f %M $bin update $first --vault $vault --passphrase-file $work/pass 2>&1 >/dev/null | tail -1")
    echo "| $n | $((size / 1024)) KiB | $(ms "$list") ms | $(ms "$show") ms | $(ms "$export") ms | $(ms "$update") ms | $((rl / 1024)) MiB | $((re / 1024)) MiB | $((ru / 1024)) MiB |"
done
echo
echo "Bare Argon2id in the same run: $(ms "$argon") ms; its memory: 256 MiB."
echo

# 3. Against pass and age: 1,000 credentials, read all of them back.
if [ "${BENCH_SKIP_PASS:-0}" != 1 ]; then
export GNUPGHOME="$work/gnupg" PASSWORD_STORE_DIR="$work/store"
mkdir -p "$GNUPGHOME"; chmod 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'bench <bench@example.invalid>' default default never 2>/dev/null
pass init bench@example.invalid >/dev/null
[ -f "$work/v1000.nicv" ] || "$gen" generate 1000 "$work/v1000.nicv" "$work/pass" >/dev/null
"$bin" export --profile json --vault "$work/v1000.nicv" --passphrase-file "$work/pass" --output "$work/all.json"
python3 - "$work/all.json" "$work/entries" <<'PY'
import json, sys, os
data = json.load(open(sys.argv[1]))
os.makedirs(sys.argv[2])
for c in data["credentials"]:
    open(os.path.join(sys.argv[2], c["gstin"]), "w").write(c["password"] + "\n" + c["userID"] + "\n")
PY
for f in "$work"/entries/*; do pass insert -m -f "nic/$(basename "$f")" < "$f" >/dev/null; done
age-keygen -o "$work/age.key" 2>/dev/null
age -r "$(age-keygen -y "$work/age.key")" -o "$work/all.json.age" "$work/all.json"
cat > "$work/pass-all.sh" <<SH
#!/bin/sh
for f in $work/entries/*; do pass show "nic/\$(basename "\$f")" >/dev/null; done
SH
chmod +x "$work/pass-all.sh"
session=$("$bin" unlock --vault "$work/v1000.nicv" --passphrase-file "$work/pass" --ttl 15m 2>/dev/null | cut -d= -f2-)
hyperfine -N --warmup 1 --runs 3 --export-json "$work/vs.json" \
    "$work/pass-all.sh" \
    "age -d -i $work/age.key -o /dev/null $work/all.json.age" \
    "$bin export --profile json --vault $work/v1000.nicv --passphrase-file $work/pass --output $work/x.json" >&2
read -r tpass tage tnic <<<"$(mean "$work/vs.json")"
hyperfine -N --warmup 1 --runs 10 --export-json "$work/vs2.json" \
    "env NICVAULT_SESSION=$session $bin export --profile json --vault $work/v1000.nicv --output $work/y.json" >&2
read -r tsession <<<"$(mean "$work/vs2.json")"
echo "## 3. Reading 1,000 credentials back: pass, age, nicvault"
echo
echo "| tool | time | nicvault is faster by |"
echo "|---|---|---|"
echo "| pass show, once per entry (gpg key without passphrase) | $(ms "$tpass") ms | $(python3 -c "print('%.0f' % ($tpass / $tnic))")x (with passphrase), $(python3 -c "print('%.0f' % ($tpass / $tsession))")x (session) |"
echo "| age -d of one JSON file (X25519 key file, no KDF) | $(ms "$tage") ms | $(python3 -c "print('%.2f' % ($tage / $tnic))")x, $(python3 -c "print('%.2f' % ($tage / $tsession))")x (session) |"
echo "| nicvault export --profile json, passphrase (Argon2id MODERATE) | $(ms "$tnic") ms | |"
echo "| nicvault export --profile json, session | $(ms "$tsession") ms | |"
echo
fi

# 4. With a session: one show per process, process start included, on 10 credentials and the larger sizes.
session10=$("$bin" unlock --vault "$work/v10.nicv" --passphrase-file "$work/pass" 2>/dev/null | cut -d= -f2-)
first10=$(NICVAULT_SESSION=$session10 "$bin" list --vault "$work/v10.nicv" --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['gstin'])")
commands=("env NICVAULT_SESSION=$session10 $bin show $first10 --vault $work/v10.nicv")
labels=("10")
for n in 10000 100000; do
    vault="$work/v$n.nicv"
    case " $sizes " in *" $n "*) ;; *) continue ;; esac
    session=$("$bin" unlock --vault "$vault" --passphrase-file "$work/pass" 2>/dev/null | cut -d= -f2-)
    first=$(NICVAULT_SESSION=$session "$bin" list --vault "$vault" --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['gstin'])")
    commands+=("env NICVAULT_SESSION=$session $bin show $first --vault $vault")
    labels+=("$n")
done
hyperfine -N --warmup 2 --runs 20 --export-json "$work/session.json" "${commands[@]}" >&2
read -r -a times <<<"$(mean "$work/session.json")"
echo "## 4. show with a session (no Argon2id), process start included"
echo
echo "| vault | show | ratio to 10 credentials |"
echo "|---|---|---|"
for i in "${!labels[@]}"; do
    echo "| ${labels[$i]} credentials | $(ms "${times[$i]}") ms | $(python3 -c "print('%.2f' % (${times[$i]} / ${times[0]}))") |"
done
# The first show after a save finds no lookup file for the new header: it opens the vault in full and writes one.
hyperfine -N --runs 5 --prepare "rm -rf $XDG_CACHE_HOME/nicvault" --export-json "$work/cold.json" "${commands[-1]}" >&2
read -r cold <<<"$(mean "$work/cold.json")"
echo
echo "The first show after a save at ${labels[-1]} credentials (no lookup file for its header yet: a full open, then"
echo "the lookup file written): $(ms "$cold") ms."
