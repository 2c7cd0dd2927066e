#!/usr/bin/env python3
"""The PostgreSQL store's figures of docs/performance.md (issue 17), measured in one run on this machine.

A throwaway PostgreSQL server (Debian's, as harness.py starts it, but with fsync on), a vault of N credentials
made by `nicvault-bench generate` and moved there with `nicvault store copy`, a session (no key derivation):
  - `show` through the store against `show` on the file (hyperfine), and through PgBouncer in session pooling
    when it is installed (what a fleet of short jobs puts in front of the server),
  - one writer making W changes (`set --every`) one after another, against 8 writers doing so at once on 8
    distinct credentials: changes per second,
  - how long a save holds the vault row (the one row every save writes), alone and among 8 writers, from the
    server's log of each statement: what bounds many writers on any machine.
Usage: NICVAULT_BIN=.build/release/nicvault scripts/bench-postgres.py [N] [W]   (default 10000 20)
"""
import json, os, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import harness  # noqa: E402  (the Postgres class)

BIN = os.environ.get("NICVAULT_BIN", ".build/release/nicvault")
GEN = os.path.join(os.path.dirname(BIN), "nicvault-bench")
count = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
changes = int(sys.argv[2]) if len(sys.argv) > 2 else 20

work = tempfile.mkdtemp(prefix="nicvault-bench-pg-")
env = dict(os.environ, HOME=work, XDG_STATE_HOME=work + "/state", XDG_DATA_HOME=work + "/data", XDG_CACHE_HOME=work + "/cache",
           XDG_RUNTIME_DIR=work + "/run")
for name in ("NICVAULT_FILE", "NICVAULT_PASSPHRASE", "NICVAULT_SESSION", "NICVAULT_STORE"):
    env.pop(name, None)
os.makedirs(work + "/run", mode=0o700)
with open(os.open(work + "/pass", os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
    f.write("benchmark passphrase\n")
vault = work + "/v.nicv"


def run(*args, extra=None, check=True):
    done = subprocess.run([BIN, *args], env=dict(env, **(extra or {})), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"{args}: {done.stderr}")
    return done


server = harness.Postgres(fsync=True)
try:
    subprocess.run([GEN, "generate", str(count), vault, work + "/pass"], env=env, check=True, capture_output=True)
    store = {"NICVAULT_STORE": server.url}
    run("store", "init", extra=store)
    run("store", "copy", "--from", vault, "--to", server.url)
    session = run("unlock", "--vault", vault, "--passphrase-file", work + "/pass", "--ttl", "2h").stdout.strip()
    env["NICVAULT_SESSION"] = session.split("=", 1)[1]
    gstins = [c["gstin"] for c in json.loads(run("list", "--vault", vault, "--json").stdout)[:8]]
    bench = work + "/show.json"
    bouncer = harness.Bouncer(server) if harness.Bouncer.binary() else None
    shows = [f"{BIN} show {gstins[0]} --vault {vault}", f"env NICVAULT_STORE={server.url} {BIN} show {gstins[0]}"]
    if bouncer:
        shows.append(f"env NICVAULT_STORE={bouncer.url} {BIN} show {gstins[0]}")
    try:
        subprocess.run(["hyperfine", "-N", "--warmup", "2", "--runs", "20", "--export-json", bench, *shows],
                       env=env, check=True, capture_output=True)
    finally:
        if bouncer:
            bouncer.close()
    file_ms, store_ms, *pooled = (r["mean"] * 1000 for r in json.load(open(bench))["results"])
    print(f"| `show` with a session, {count:,} credentials: file / PostgreSQL | {file_ms:.1f} ms / {store_ms:.1f} ms "
          f"= {store_ms / file_ms:.2f}× | ≤ 1.5× |")
    if pooled:
        print(f"| the same through PgBouncer (session pooling, loopback): file / PostgreSQL | {file_ms:.1f} ms / "
              f"{pooled[0]:.1f} ms = {pooled[0] / file_ms:.2f}× | ≤ 1.5× |")
    else:
        print("| the same through PgBouncer | not measured: apt-get install pgbouncer | |")

    def writer(gstin, n, offset):
        for i in range(n):
            run("set", gstin, "--every", f"{30 + offset + i}d", extra=store)

    started = time.time()
    writer(gstins[0], changes, 0)
    one = changes / (time.time() - started)
    print(f"| `set --every` with a session, 1 writer × {changes} changes | {one:.1f} changes/s | |")
    threads = [threading.Thread(target=writer, args=(g, changes, 100)) for g in gstins]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    eight = 8 * changes / (time.time() - started)
    print(f"| 8 writers × {changes} changes on 8 distinct credentials, at once | {eight:.1f} changes/s = "
          f"{eight / one:.2f} × one writer | ≥ 4× |")

    # How long a save holds the vault row, the one row every save writes (its sealed manifest lists every record):
    # what bounds the writers of any machine, however many cores. From the server's log of each statement's end.
    for setting in ("log_min_duration_statement = 0", "log_parameter_max_length = 0", "log_line_prefix = '%m [%p] '"):
        server.sql(f"ALTER SYSTEM SET {setting}")
    server.sql("SELECT pg_reload_conf()")
    log = server.folder + "/log"

    def held(run_writers):
        start = os.path.getsize(log)
        run_writers()
        with open(log, errors="replace") as f:
            f.seek(start)
            lines = f.read().splitlines()
        locked, times = {}, []
        for line in lines:
            parts = line.split(" ", 4)
            if len(parts) < 5 or "duration:" not in parts[4] or " execute " not in parts[4]:
                continue
            at = time.mktime(time.strptime(parts[0] + " " + parts[1][:8], "%Y-%m-%d %H:%M:%S")) + float(parts[1][8:])
            if "SELECT header FROM nicvault_vault FOR UPDATE" in parts[4]:
                locked[parts[3]] = at
            elif parts[4].endswith("COMMIT") and parts[3] in locked:
                times.append((at - locked.pop(parts[3])) * 1000)
        return sum(times) / max(len(times), 1), len(times)

    alone, n_alone = held(lambda: writer(gstins[0], 10, 300))
    threads = [threading.Thread(target=writer, args=(g, 5, 400)) for g in gstins]
    together, n_together = held(lambda: ([t.start() for t in threads], [t.join() for t in threads]))
    # Alone, the row is as the save opened it; among writers, another's save came in between, and the vault is
    # read again, opened and sealed anew under the lock (on cores shared with the other writers): one save at a
    # time, so at most 1000 / that many saves a second.
    print(f"| the vault row held by a save (server log): alone ({n_alone} saves) / among 8 writers ({n_together}) | "
          f"{alone:.1f} ms / {together:.1f} ms: at most {1000 / together:.0f} saves/s among 8 writers | |")
finally:
    server.close()
    subprocess.run(["rm", "-rf", work])
