#!/usr/bin/env python3
"""Reliability harnesses of nicvault, run against the real binary (and the real sandbox portal on loopback).

  harness.py crash N         SIGKILL register/rotate/update at random instants, N times
  harness.py concurrency P N P processes, N changes each, on one vault
  harness.py tamper N        flip every header byte and N payload bytes, truncate, append: all refused as damage
  harness.py fulldisk        a really full disk (a 64 KiB tmpfs; needs root): clear message, vault intact
  harness.py hygiene         no password in plain text in the vault, backup, temp files or sandbox state
  harness.py late N          a proxy in front of the sandbox delays, loses (500, reset) answers; --resume races
                             them; N rounds: the password the portal holds is always in the vault
  harness.py postgres P N    a throwaway PostgreSQL server (Debian's, as an unprivileged user on loopback): P
                             processes × N changes across two stores opened at once while clients are SIGKILLed, their backends
                             terminated with pg_terminate_backend and the server restarted; every acknowledged
                             change is present, every interrupted one whole or absent, the vault always opens
  harness.py postgres-due N  rotate --due on N credentials in a PostgreSQL store while the server restarts: the
                             batch carries on or fails clearly, pending rotations resume, the vault holds what
                             the portal holds; a second machine cannot race a live rotation
  harness.py pgbouncer P     the PostgreSQL store through PgBouncer in session pooling: register, rotate, show,
                             P writers at once on distinct credentials and two on one
  harness.py embedded P      P concurrent registers on the default in-process sandbox (one shared state file),
                             and P more beside a `sandbox serve` on the same file: every user reaches the portal
  harness.py terminal        secrets typed on a real terminal (a pseudo-terminal): echo is off while asked, and
                             back on after the answer, Ctrl-C, a kill or a hang-up; the secret never shows

Each prints its figures and ends with "N passed, N failed". Uses only the standard library.
"""
import http.client, json, os, pty, random, re, select, shutil, signal, socket, socketserver, struct, subprocess, sys, tempfile, \
    termios, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("NICVAULT_BIN", os.path.join(ROOT, ".build/debug/nicvault"))
results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    if not ok:
        print(f"FAIL {name} {detail}")


class Box:
    """A private HOME for one harness: vault, state, passphrase file, optional sandbox server."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="nicvault-harness-")
        self.env = dict(os.environ, HOME=self.root, XDG_DATA_HOME=self.root + "/data",
                        XDG_STATE_HOME=self.root + "/state", XDG_CACHE_HOME=self.root + "/cache",
                        NICVAULT_PASSPHRASE_FILE=self.root + "/pass")
        for name in ("NICVAULT_FILE", "NICVAULT_PASSPHRASE", "NICVAULT_PASSPHRASE_COMMAND", "NICVAULT_SESSION"):
            self.env.pop(name, None)
        with open(self.root + "/pass", "w") as f:
            f.write("harness passphrase\n")
        os.chmod(self.root + "/pass", 0o600)
        self.vault = self.root + "/data/nicvault/vault.nicv"
        self.server = None
        self.url = None

    def run(self, *args, stdin=None, check_ok=False):
        done = subprocess.run([BIN, *args], env=self.env, input=stdin, capture_output=True, text=True)
        if check_ok and done.returncode != 0:
            raise RuntimeError(f"{args}: {done.stderr}")
        return done

    def spawn(self, *args, stdin=None):
        process = subprocess.Popen([BIN, *args], env=self.env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, text=True)
        if stdin is not None:
            process.stdin.write(stdin)
        process.stdin.close()
        return process

    def serve(self, seed=None):
        args = [BIN, "sandbox", "serve", "--port", "0", "--state", self.root + "/portal.json"]
        if seed:
            args += ["--seed", seed]
        self.server = subprocess.Popen(args, env=self.env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        line = self.server.stderr.readline()
        self.url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)

    def export(self):
        done = self.run("export", "--profile", "json", "--env", "sandbox")
        if done.returncode != 0 and "no credential matches" in done.stderr:
            return {"credentials": []}
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return json.loads(done.stdout)

    def generation(self):
        return json.loads(self.run("info", "--json", check_ok=True).stdout)["generation"]

    def close(self):
        if self.server:
            self.server.terminate()
            self.server.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def check_digit(first14):
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    total = 0
    for i, c in enumerate(first14):
        p = alphabet.index(c) * (1 if i % 2 == 0 else 2)
        total += p // 36 + p % 36
    return alphabet[(36 - total % 36) % 36]


def seed_file(box, count):
    """A sandbox seed of `count` taxpayers with distinct valid GSTINs."""
    taxpayers = []
    for i in range(count):
        digits = f"{i:09d}"
        body = f"{(i % 37) + 1:02d}" + "".join(chr(65 + int(d)) for d in digits[:5]) + digits[5:] + "A1Z"
        taxpayers.append({"gstin": body + check_digit(body), "legalName": f"Harness Taxpayer {i}", "tradeName": None,
                          "status": "active", "mobile": f"9{i:09d}", "email": f"t{i}@harness.example"})
    path = box.root + "/seed.json"
    with open(path, "w") as f:
        json.dump(taxpayers, f)
    return path, [t["gstin"] for t in taxpayers]


def new_password():
    return "Hx@7" + "".join(random.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(11))


def portal_change(url, user, old, new):
    body = json.dumps({"userId": user, "oldPassword": old, "newPassword": new}).encode()
    request = urllib.request.Request(url + "/api/v1/password", data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


def crash(iterations):
    box = Box()
    try:
        seed, gstins = seed_file(box, 40)
        box.serve(seed)
        box.run("init", "--kdf", "interactive", check_ok=True)
        registered, acknowledged, kills, restarts, started = [], {}, 0, 0, time.time()
        for i in range(iterations):
            operation = random.choice(["register", "rotate", "update"] if registered else ["register"])
            if operation == "register" and len(registered) < len(gstins):
                gstin = gstins[len(registered)]
                args = ["register", gstin, "--portal", box.url, "--otp-from-outbox"]
                stdin = None
            else:
                gstin = random.choice(registered)
                operation = "rotate" if operation == "register" else operation
                if operation == "rotate":
                    args, stdin = ["rotate", gstin, "--portal", box.url], None
                else:
                    # A colleague changes the password on the portal; nicvault update records it.
                    password = new_password()
                    current = {c["gstin"]: c for c in box.export()["credentials"]}[gstin]
                    portal_change(box.url, current["userID"], current["password"], password)
                    args, stdin = ["update", gstin], password + "\n"
            process = box.spawn(*args, stdin=stdin)
            time.sleep(random.uniform(0, 0.35))
            process.send_signal(signal.SIGKILL)
            code = process.wait()
            if code == -signal.SIGKILL:
                kills += 1
            opened = box.run("info", "--json")
            check("vault opens after a kill", opened.returncode == 0, opened.stderr)
            state = {c["gstin"]: c for c in box.export()["credentials"]}
            if operation == "register" and gstin in state:
                registered.append(gstin)
            if operation == "update":
                if code != 0:
                    # Killed before it said so: the user runs it again.
                    again = box.run("update", gstin, stdin=password + "\n")
                    check("update run again after a kill", again.returncode == 0 or "already the stored" in again.stderr,
                          again.stderr)
                acknowledged[gstin] = password
            # Settle what the kill left pending, as a user would.
            for g, c in state.items():
                if c.get("pendingSince"):
                    done = box.run("register", g, "--portal", box.url, "--resume")
                    if done.returncode == 5 and "stays pending" in done.stderr:
                        # Killed after staging, before the portal saw the request (a window of milliseconds):
                        # resume cannot tell that from a late answer, so it keeps it pending and says to start
                        # over, keeping the unconfirmed password in history. Do what it says.
                        restarts += 1
                        done = box.run("register", g, "--portal", box.url, "--restart", "--otp-from-outbox")
                    check("register --resume (or --restart when the portal never saw it) settles",
                          done.returncode == 0, done.stderr)
                    if g in registered and not any(x["gstin"] == g for x in box.export()["credentials"]):
                        registered.remove(g)
                elif c.get("staged"):
                    done = box.run("rotate", g, "--portal", box.url, "--resume")
                    check("rotate --resume settles", done.returncode == 0, done.stderr)
            state = {c["gstin"]: c for c in box.export()["credentials"]}
            for g, password in acknowledged.items():
                c = state.get(g)
                known = c and (c["password"] == password or any(r["password"] == password for r in c["retired"]))
                check("an acknowledged update is kept", bool(known), g)
        # Every credential's current password is the one the portal has: a rotation from it succeeds.
        for g in registered:
            done = box.run("rotate", g, "--portal", box.url)
            check("the portal accepts the current password", done.returncode == 0, f"{g}: {done.stderr}")
        print(f"crash: {iterations} runs, {kills} killed mid-run, {restarts} registrations started over, "
              f"{len(registered)} credentials, generation {box.generation()}, {time.time() - started:.1f} s")
    finally:
        box.close()


def concurrency(processes, changes):
    box = Box()
    try:
        seed, gstins = seed_file(box, processes * changes)
        box.serve(seed)
        box.run("init", "--kdf", "interactive", check_ok=True)
        before = box.generation()
        script = [[] for _ in range(processes)]
        expected_saves = 0
        for p in range(processes):
            mine = [g for i, g in enumerate(gstins) if i % processes == p]
            owned = []
            for n in range(changes):
                if n % 5 == 0 or not owned:
                    g = mine[len(owned)]
                    owned.append(g)
                    script[p].append(("register", g, None))
                    expected_saves += 2  # staged, then committed
                else:
                    script[p].append(("update", random.choice(owned), new_password()))
                    expected_saves += 1
        started = time.time()
        workers = []
        for p in range(processes):
            lines = []
            for op, g, pw in script[p]:
                if op == "register":
                    lines.append(f"{BIN} register {g} --portal {box.url} --otp-from-outbox >/dev/null 2>&1 || echo FAIL {g}")
                else:
                    lines.append(f"printf '%s\\n' '{pw}' | {BIN} update {g} >/dev/null 2>&1 || echo FAIL {g}")
            workers.append(subprocess.Popen(["sh", "-c", "\n".join(lines)], env=box.env, stdout=subprocess.PIPE, text=True))
        outputs = []
        for w in workers:
            try:
                outputs.append(w.communicate(timeout=900)[0])
            except subprocess.TimeoutExpired:
                w.kill()
                check("no process hangs", False)
        elapsed = time.time() - started
        failures = "".join(outputs).strip()
        check("every change succeeded", failures == "", failures[:500])
        state = {c["gstin"]: c for c in box.export()["credentials"]}
        for p in range(processes):
            last = {}
            for op, g, pw in script[p]:
                if op == "register":
                    check("every registration is present", g in state, g)
                else:
                    last[g] = pw
            for g, pw in last.items():
                check("the last update of each credential is current", state.get(g, {}).get("password") == pw, g)
        gained = box.generation() - before
        check("the generation went up by exactly the number of saves", gained == expected_saves,
              f"{gained} != {expected_saves}")
        print(f"concurrency: {processes} processes x {changes} changes = {processes * changes} changes, "
              f"{expected_saves} saves, generation +{gained}, {elapsed:.1f} s")
    finally:
        box.close()


def tamper(samples):
    box = Box()
    try:
        box.run("init", "--kdf", "interactive", check_ok=True)
        pristine = open(box.vault, "rb").read()
        header = header_length(pristine)
        copy = box.root + "/copy.nicv"
        outcomes = {}

        def attempt(data, label):
            with open(copy, "wb") as f:
                f.write(data)
            os.chmod(copy, 0o600)
            done = box.run("info", "--vault", copy)
            untouched = open(copy, "rb").read() == data
            outcomes[label] = outcomes.get(label, 0) + 1
            check(f"{label} refused as damaged", done.returncode == 3, f"exit {done.returncode}: {done.stderr.strip()}")
            check(f"{label} leaves the file untouched", untouched)
            check(f"{label} no crash", "Fatal error" not in done.stderr and done.returncode > 0)

        for i in range(header):
            data = bytearray(pristine)
            data[i] ^= 0x41
            attempt(bytes(data), "header byte flip")
        for i in random.sample(range(header, len(pristine)), min(samples, len(pristine) - header)):
            data = bytearray(pristine)
            data[i] ^= 1 << random.randrange(8)
            attempt(bytes(data), "payload byte flip")
        for cut in sorted(random.sample(range(1, len(pristine)), min(100, len(pristine) - 1))):
            attempt(pristine[:cut], "truncation")
        for extra in (b"\0", b"garbage" * 10, os.urandom(4096)):
            attempt(pristine + extra, "appended garbage")
        # Roll-back: an older generation put back is refused (exit 4), and accepted only on purpose.
        old = pristine
        box.run("passwd", "--new-passphrase-file", box.root + "/pass", check_ok=True)
        with open(box.vault, "wb") as f:
            f.write(old)
        check("a rolled-back vault is refused", box.run("info").returncode == 4)
        check("--accept-rollback opens it on purpose", box.run("info", "--accept-rollback").returncode == 0)
        print("tamper: " + ", ".join(f"{n} × {label}" for label, n in outcomes.items()) + f" (header {header} bytes)")
    finally:
        box.close()
    tamper_records()


def header_length(data):
    """The header length of a version 1 or 2 file (version 2 adds the key commitment, record count and length)."""
    offset = 8 + 2 + 16 + 8
    slots = data[offset]
    offset += 1
    for _ in range(slots):
        offset += 3 + int.from_bytes(data[offset + 1:offset + 3], "big")
    v2 = int.from_bytes(data[8:10], "big") == 2
    return offset + (32 if v2 else 0) + 24 + 8 + (12 if v2 else 0) + 32


def records_of(data):
    """A version 2 file split as someone without the key sees it: header + manifest, then each record's bytes."""
    header = header_length(data)
    manifest = int.from_bytes(data[header - 52:header - 44], "big")
    at, records = header + manifest, []
    while at < len(data):
        length = int.from_bytes(data[at + 48:at + 52], "big")
        records.append(data[at:at + 52 + length])
        at += 52 + length
    return data[:header + manifest], records


def tamper_records():
    """Version 2: what someone with the file but not the key can do to its records, each refused (exit 3)."""
    box = Box()
    try:
        box.run("init", "--kdf", "interactive", check_ok=True)
        for gstin in ("27AAPFU0939F1ZV", "29AAGCB7383J1Z4", "07AAACI1681G1ZQ"):
            box.run("add", gstin, "--kind", "portal", "--env", "sandbox", "--user-id", "USER" + gstin[:6],
                    stdin="Pw@" + gstin[:8] + "x\n", check_ok=True)
        older = open(box.vault, "rb").read()
        box.run("set", "29AAGCB7383J1Z4", "--every", "30d", check_ok=True)
        current = open(box.vault, "rb").read()
        check("the vault is version 2", int.from_bytes(current[8:10], "big") == 2)
        head, records = records_of(current)
        _, old_records = records_of(older)
        changed = [i for i, r in enumerate(records) if r not in old_records]
        copy = box.root + "/copy.nicv"
        attacks = {
            "records swapped": head + records[1] + records[0] + b"".join(records[2:]),
            "a record dropped": head + b"".join(records[1:]),
            "a record duplicated over another": head + records[0] + records[0] + b"".join(records[2:]),
        }
        for index in changed:
            same = [r for r in old_records if r[:16] == records[index][:16]]
            if same:
                attacks["a record rolled back to its previous version"] = (
                    head + b"".join(same[0] if i == index else r for i, r in enumerate(records)))
        for label, data in attacks.items():
            with open(copy, "wb") as f:
                f.write(data)
            os.chmod(copy, 0o600)
            done = box.run("export", "--profile", "json", "--vault", copy, "--output", box.root + "/out.json")
            check(f"{label}: refused as damaged", done.returncode == 3, f"exit {done.returncode}: {done.stderr.strip()}")
            check(f"{label}: nothing exported", not os.path.exists(box.root + "/out.json"))
        print("tamper (records): " + ", ".join(attacks))
    finally:
        box.close()


def fulldisk():
    if os.geteuid() != 0:
        print("fulldisk: skipped, mounting a tmpfs needs root")
        return
    box = Box()
    mount = box.root + "/small"
    os.makedirs(mount)
    try:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", mount]).returncode != 0:
            print("fulldisk: skipped, this machine does not allow mounting a tmpfs")
            return
        vault = mount + "/vault.nicv"
        box.run("init", "--vault", vault, "--kdf", "interactive", check_ok=True)
        before = open(vault, "rb").read()
        with open(mount + "/filler", "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 512)
            except OSError:
                pass
        done = box.run("passwd", "--vault", vault, "--new-passphrase-file", box.root + "/pass")
        check("a full disk fails with exit 1", done.returncode == 1, done.stderr)
        check("the message says the disk is full and what to do", "free some disk space" in done.stderr, done.stderr)
        check("the vault is unchanged", open(vault, "rb").read() == before)
        check("no temporary file is left", not [n for n in os.listdir(mount) if ".tmp-" in n])
        os.remove(mount + "/filler")
        check("the vault opens", box.run("info", "--vault", vault).returncode == 0)
        print(f"fulldisk: 64 KiB tmpfs filled; save refused: {done.stderr.strip()}")
    finally:
        subprocess.run(["umount", mount])
        box.close()


def hygiene():
    box = Box()
    try:
        seed, gstins = seed_file(box, 3)
        box.serve(seed)
        box.run("init", "--kdf", "interactive", check_ok=True)
        for g in gstins:
            box.run("register", g, "--portal", box.url, "--otp-from-outbox", check_ok=True)
            box.run("rotate", g, "--portal", box.url, check_ok=True)
        secrets = set()
        for c in box.export()["credentials"]:
            secrets.add(c["password"])
            secrets.update(r["password"] for r in c["retired"])
        files = []
        for folder, _, names in os.walk(box.root):
            files += [os.path.join(folder, n) for n in names if n not in ("pass",)]
        for path in files:
            data = open(path, "rb").read()
            for secret in secrets:
                check("no password in plain text on disk", secret.encode() not in data, path)
        # No secret in the argv of a process nicvault runs: exec hands them over in the environment.
        g = gstins[0]
        done = box.run("exec", g, "--", "sh", "-c", "cat /proc/$$/cmdline")
        check("exec puts no password in argv", not any(s in done.stdout for s in secrets))
        print(f"hygiene: {len(secrets)} passwords searched for in {len(files)} files")
    finally:
        box.close()


class Prompted:
    """The binary on a pseudo-terminal of its own (its controlling terminal), as a person runs it."""

    def __init__(self, box, *args):
        env = dict(box.env)
        env.pop("NICVAULT_PASSPHRASE_FILE", None)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(BIN, [BIN, *args], env)
        self.output = b""

    def read(self, until=lambda: False, seconds=20):
        """Reads its output until `until()` holds or it ends (True), or `seconds` pass (False)."""
        deadline = time.time() + seconds
        while not until():
            ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.time()))
            if not ready:
                return False
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                return True
            if not chunk:
                return True
            self.output += chunk
        return True

    def wait_for(self, text, seconds=20):
        self.read(lambda: text.encode() in self.output, seconds)
        return text.encode() in self.output

    def echoes(self):
        return bool(termios.tcgetattr(self.fd)[3] & termios.ECHO)

    def finish(self, seconds=20):
        """How the process ended: ("exit", code) or ("signal", number), its output read to the end. One still
        running after `seconds` (hung at the terminal) is killed, and ends as ("hung", SIGKILL)."""
        if not self.read(seconds=seconds):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            return ("hung", signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        return ("signal", os.WTERMSIG(status)) if os.WIFSIGNALED(status) else ("exit", os.WEXITSTATUS(status))

    def close(self):
        os.close(self.fd)


def terminal():
    box = Box()
    passphrase = "harness passphrase"
    try:
        box.run("init", "--kdf", "interactive", check_ok=True)
        before = box.generation()
        # Typed: no echo while asked, echo again after, and the passphrase never on the screen.
        session = Prompted(box, "list")
        check("terminal: the passphrase is asked on the terminal", session.wait_for("Vault passphrase:"))
        time.sleep(0.2)
        check("terminal: no echo while the passphrase is asked", not session.echoes())
        # No crash handler (the Swift runtime's backtracer) that would read the process's memory: SIGABRT, SIGBUS,
        # SIGFPE, SIGILL, SIGSEGV, SIGTRAP at their default action.
        caught = int(re.search(r"SigCgt:\s*([0-9a-f]+)", open(f"/proc/{session.pid}/status").read()).group(1), 16)
        crash_signals = (signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGSEGV, signal.SIGTRAP)
        check("terminal: no crash handler reads the process", not any(caught & (1 << (n - 1)) for n in crash_signals),
              f"SigCgt {caught:x}")
        os.write(session.fd, (passphrase + "\n").encode())
        ended = session.finish()
        check("terminal: the typed passphrase opens the vault", ended == ("exit", 0), f"{ended} {session.output!r}")
        check("terminal: echo is back on after the answer", session.echoes())
        check("terminal: the passphrase never shows", passphrase.encode() not in session.output)
        session.close()
        # Interrupted while asked: the process ends as the signal says, and the terminal echoes again.
        for how, number in (("Ctrl-C", signal.SIGINT), ("kill", signal.SIGTERM), ("hang-up", signal.SIGHUP),
                            ("Ctrl-\\", signal.SIGQUIT)):
            session = Prompted(box, "show", "27AABCD1234E1Z8")
            session.wait_for("Vault passphrase:")
            time.sleep(0.2)
            echo_off = not session.echoes()
            if how == "Ctrl-C":
                os.write(session.fd, b"\x03")
            elif how == "Ctrl-\\":
                os.write(session.fd, b"\x1c")
            else:
                os.kill(session.pid, number)
            ended = session.finish()
            check(f"terminal: {how} at the prompt ends the process by its signal",
                  echo_off and ended == ("signal", number), f"{ended}")
            check(f"terminal: echo is back on after {how} at the prompt", session.echoes())
            session.close()
        # A new vault's passphrase, asked twice: Ctrl-C at the second question leaves no vault and a sane terminal.
        fresh = box.root + "/fresh.nicv"
        session = Prompted(box, "init", "--vault", fresh, "--kdf", "interactive")
        session.wait_for("New vault passphrase:")
        os.write(session.fd, (passphrase + "\n").encode())
        session.wait_for("Repeat it:")
        time.sleep(0.2)
        os.write(session.fd, b"\x03")
        ended = session.finish()
        check("terminal: Ctrl-C at the repeated passphrase ends init", ended == ("signal", signal.SIGINT), f"{ended}")
        check("terminal: echo is back on after Ctrl-C in init", session.echoes())
        check("terminal: init interrupted leaves no vault", not os.path.exists(fresh))
        session.close()
        # An API client typed: the id is echoed (not a secret), the secret is not; Ctrl-C at the secret stores
        # nothing and leaves echo on.
        session = Prompted(box, "client", "add", "typed-keys", "--env", "sandbox", "--passphrase-file",
                           box.root + "/pass")
        session.wait_for("Client id:")
        time.sleep(0.2)
        check("terminal: the client id is asked with echo on", session.echoes())
        os.write(session.fd, b"harness-client-id\n")
        session.wait_for("Client secret:")
        time.sleep(0.2)
        check("terminal: the client secret is asked with echo off", not session.echoes())
        os.write(session.fd, b"\x03")
        ended = session.finish()
        check("terminal: Ctrl-C at the client secret ends client add", ended == ("signal", signal.SIGINT), f"{ended}")
        check("terminal: echo is back on after Ctrl-C at the client secret", session.echoes())
        session.close()
        # --otp-from-outbox with the assisted driver (production, on a terminal): refused before anything is asked.
        session = Prompted(box, "register", "29AACCK5521H1ZK", "--env", "production", "--otp-from-outbox",
                           "--passphrase-file", box.root + "/pass")
        ended = session.finish()
        check("terminal: --otp-from-outbox with the assisted driver is a usage error",
              ended == ("exit", 64) and b"needs a sandbox portal" in session.output, f"{ended} {session.output!r}")
        check("terminal: nothing is asked before that refusal",
              session.output.startswith(b"nicvault: --otp-from-outbox needs a sandbox portal"), f"{session.output!r}")
        session.close()
        check("terminal: the vault is as it was", box.generation() == before)
        print(f"terminal: {results['passed'] + results['failed']} checks on a pseudo-terminal")
    finally:
        box.close()


class Proxy:
    """A loopback HTTP proxy in front of the sandbox that misbehaves on chosen routes, after or before passing
    the request on: "delay" forwards it SECONDS late (the client has given up by then: a late answer), "500"
    forwards it and answers 500, "reset" forwards it and resets the connection."""

    def __init__(self, upstream):
        self.upstream = upstream.replace("http://", "")
        self.rules = {}  # path -> (mode, seconds)
        self.landed = []  # (path, time) of each request passed on late
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                stream = self.request.makefile("rb")
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    method, path, _ = line.decode().split(" ", 2)
                    headers, length = [], 0
                    while True:
                        h = stream.readline()
                        if h in (b"\r\n", b"\n", b""):
                            break
                        name, value = h.decode().split(":", 1)
                        if name.lower() == "content-length":
                            length = int(value)
                        headers.append((name.strip(), value.strip()))
                    body = stream.read(length) if length else b""
                    mode, seconds = proxy.rules.get(path.split("?")[0], ("pass", 0))
                    if mode == "delay":
                        time.sleep(seconds)
                    connection = http.client.HTTPConnection(proxy.upstream, timeout=30)
                    connection.request(method, path, body=body,
                                       headers={k: v for k, v in headers if k.lower() not in ("connection",)})
                    answer = connection.getresponse()
                    data = answer.read()
                    connection.close()
                    if mode == "delay":
                        proxy.landed.append((path, time.time()))
                    try:
                        if mode == "500":
                            self.request.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
                        elif mode == "reset":
                            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                            self.request.close()
                            return
                        else:
                            head = f"HTTP/1.1 {answer.status} {answer.reason}\r\nContent-Length: {len(data)}\r\n"
                            head += "".join(f"{k}: {v}\r\n" for k, v in answer.getheaders()
                                            if k.lower() not in ("content-length", "connection", "transfer-encoding"))
                            self.request.sendall(head.encode() + b"\r\n" + data)
                    except OSError:
                        return  # the client gave up (time-out): the request was passed on all the same

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def portal_accepts(url, user, password):
    body = json.dumps({"userId": user, "password": password}).encode()
    request = urllib.request.Request(url + "/api/v1/login", data=body, headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request).read()
        return True
    except urllib.error.HTTPError:
        return False


def vault_holds_portal_password(box, gstin):
    """True when the password the portal accepts for the credential is in the vault (current, staged or history).
    Tries the likeliest first, so as few failed log-ins as possible count towards the portal's lock-out."""
    credential = next(c for c in box.export()["credentials"] if c["gstin"] == gstin)
    candidates = [(credential["userID"], credential["password"])]
    if credential.get("staged"):
        candidates.append((credential["userID"], credential["staged"]["password"]))
    candidates += [(r.get("userID", credential["userID"]), r["password"]) for r in credential["retired"]
                   if r.get("unconfirmed")]
    return any(portal_accepts(box.url, user, password) for user, password in candidates[:4])


def late(rounds):
    box = Box()
    proxy = None
    try:
        seed, gstins = seed_file(box, 5 * rounds + 5)
        box.serve(seed)
        proxy = Proxy(box.url)
        box.run("init", "--kdf", "interactive", check_ok=True)
        counts = {"delayed rotation": 0, "500 after change": 0, "reset after change": 0, "delayed registration": 0,
                  "resume racing a live rotation": 0}
        for r in range(rounds):
            g = gstins[5 * r: 5 * r + 5]
            for x in g[:4]:
                box.run("register", x, "--portal", box.url, "--otp-from-outbox", check_ok=True)

            # A rotation whose answer comes after the client gave up, resumed before the request lands.
            proxy.rules = {"/api/v1/password": ("delay", 2.5)}
            done = box.run("rotate", g[0], "--portal", proxy.url, "--timeout", "1")
            check("a timed-out rotation exits 5", done.returncode == 5, done.stderr)
            resumed = box.run("rotate", g[0], "--resume", "--portal", box.url)
            check("the resume settles it", resumed.returncode == 0, resumed.stderr)
            time.sleep(3)  # the late request lands
            check("the vault holds what the portal holds (late rotation)", vault_holds_portal_password(box, g[0]))
            again = box.run("rotate", g[0], "--portal", box.url)
            if again.returncode != 0:  # the late answer was recovered from history: the next rotation works
                again = box.run("rotate", g[0], "--portal", box.url)
            check("rotation works again after a late answer", again.returncode == 0, again.stderr)
            counts["delayed rotation"] += 1

            # The portal changed the password, then the answer was a 500 or a reset: no refusal, both kept.
            for mode, x in (("500", g[1]), ("reset", g[2])):
                proxy.rules = {"/api/v1/password": (mode, 0)}
                done = box.run("rotate", x, "--portal", proxy.url)
                check(f"a {mode} after the change exits 5", done.returncode == 5, done.stderr)
                check(f"a {mode} keeps the staged password", "lost" in done.stderr, done.stderr)
                resumed = box.run("rotate", x, "--resume", "--portal", box.url)
                check(f"the resume commits after a {mode}", resumed.returncode == 0 and "committed" in resumed.stderr,
                      resumed.stderr)
                check(f"the vault holds what the portal holds ({mode})", vault_holds_portal_password(box, x))
                counts[f"{mode} after change"] += 1

            # A registration whose answer comes late: the resume keeps it pending, a later resume commits it.
            proxy.rules = {"/api/v1/users": ("delay", 2.5)}
            done = box.run("register", g[4], "--portal", proxy.url, "--otp-from-outbox", "--timeout", "1")
            check("a timed-out registration exits 5", done.returncode == 5, done.stderr)
            early = box.run("register", g[4], "--resume", "--portal", box.url)
            check("an early resume keeps the registration pending", early.returncode == 5 and "pending" in early.stderr,
                  early.stderr)
            time.sleep(3)
            later = box.run("register", g[4], "--resume", "--portal", box.url)
            check("a later resume commits it", later.returncode == 0, later.stderr)
            check("the vault holds what the portal holds (late registration)", vault_holds_portal_password(box, g[4]))
            counts["delayed registration"] += 1

            # A second process may not resume (or rotate) while the first one's request is on its way.
            proxy.rules = {"/api/v1/password": ("delay", 2)}
            first = subprocess.Popen([BIN, "rotate", g[3], "--portal", proxy.url, "--timeout", "10"], env=box.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(1)
            second = box.run("rotate", g[3], "--resume", "--portal", box.url)
            check("a resume racing a live rotation is refused with exit 4", second.returncode == 4, second.stderr)
            check("it names the other process", "another nicvault process" in second.stderr, second.stderr)
            _, first_err = first.communicate(timeout=60)
            check("the live rotation completes", first.returncode == 0, first_err)
            check("the vault holds what the portal holds (race)", vault_holds_portal_password(box, g[3]))
            counts["resume racing a live rotation"] += 1
        print("late: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + f"; {len(proxy.landed)} late requests landed")
    finally:
        if proxy:
            proxy.close()
        box.close()


def embedded(processes):
    box = Box()
    try:
        box.run("init", "--kdf", "interactive", check_ok=True)
        gstins = ["27AABCD1234E1Z8", "29AACCK5521H1ZK", "07AAFFR3310M1Z8", "33AABCT7788K2ZQ", "24ABCPP4455Q1Z6",
                  "19AADCB9090L1Z4", "36AAECH1122J1ZW", "09AAGCL6543N1ZW", "32AAHFK2468P1ZX", "06AAJCG1357R1Z2",
                  "08AAKTJ8642S1ZJ", "38AALCL1001T1Z3", "21AANCO4004V1Z0", "23AAPCM5005W1ZR", "37AARCA7007Y1ZI",
                  "27AABCD1234E2Z7"][:2 * processes]
        first, second = gstins[:processes], gstins[processes:]
        # Every process starts its own in-process sandbox on the default state file.
        started = [box.spawn("register", g, "--otp-from-outbox") for g in first]
        codes = [p.wait() for p in started]
        check("every concurrent register succeeds", codes == [0] * len(first), str(codes))
        for g in first:
            done = box.run("rotate", g)
            check("each registered user is on the portal (rotation works)", done.returncode == 0, done.stderr)
        # The same beside a server on that file: half through the server, half in process, at once.
        state = box.root + "/state/nicvault/sandbox-portal.json"
        box.server = subprocess.Popen([BIN, "sandbox", "serve", "--port", "0", "--state", state], env=box.env,
                                      stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        box.url = re.search(r"http://127\.0\.0\.1:\d+", box.server.stderr.readline()).group(0)
        started = [box.spawn("register", g, "--otp-from-outbox", *(["--portal", box.url] if i % 2 else []))
                   for i, g in enumerate(second)]
        codes = [p.wait() for p in started]
        check("registers beside a server on the same file succeed", codes == [0] * len(second), str(codes))
        for i, g in enumerate(second):
            done = box.run("rotate", g, *([] if i % 2 else ["--portal", box.url]))
            check("the server and the in-process sandbox see each other's users", done.returncode == 0, done.stderr)
        print(f"embedded: {len(first)} concurrent registers on the shared state file, {len(second)} beside a server")
    finally:
        box.close()


class Postgres:
    """A throwaway PostgreSQL server: initdb in a temporary folder, pg_ctl on a loopback port, as `nobody` when
    this process is root (PostgreSQL refuses root); stopped and removed by close()."""

    def __init__(self, fsync=False):
        self.fsync = fsync  # off for the harnesses (speed); on for benchmarks (scripts/bench-postgres.py)
        versions = sorted(int(v) for v in os.listdir("/usr/lib/postgresql") if v.isdigit()) \
            if os.path.isdir("/usr/lib/postgresql") else []
        if not versions:
            raise SystemExit("postgres: no PostgreSQL server; apt-get install postgresql")
        self.bin = f"/usr/lib/postgresql/{versions[-1]}/bin"
        self.folder = tempfile.mkdtemp(prefix="nicvault-harness-pg-")
        if os.geteuid() == 0:
            os.chown(self.folder, 65534, 65534)
        self.as_user("initdb", "-D", self.folder + "/data", "-U", "nicvault", "-A", "trust", "--no-sync", "-E", "UTF8")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.start()
        self.url = f"postgresql://nicvault@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def as_user(self, program, *args, check=True):
        argv = [self.bin + "/" + program, *args]
        if os.geteuid() == 0:
            argv = ["/usr/sbin/runuser", "-u", "nobody", "--", *argv]
        return subprocess.run(argv, cwd=self.folder, capture_output=True, text=True, check=check,
                              env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})

    def start(self):
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder}" + ("" if self.fsync else " -c fsync=off")
        self.as_user("pg_ctl", "-D", self.folder + "/data", "-l", self.folder + "/log", "-w", "-o", options, "start")

    def restart(self):
        self.as_user("pg_ctl", "-D", self.folder + "/data", "-m", "fast", "-w", "stop")
        self.start()

    def sql(self, statement):
        return self.sql_in("postgres", statement)

    def sql_in(self, database, statement):
        return self.as_user("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "nicvault", "-d", database,
                            "-At", "-c", statement).stdout.strip()

    def close(self):
        self.as_user("pg_ctl", "-D", self.folder + "/data", "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


class Bouncer:
    """PgBouncer (Debian's) in session pooling in front of `server`, on a loopback port, as `nobody` when this
    process is root; stopped and removed by close()."""

    @staticmethod
    def binary():
        """PgBouncer's path, or None when it is not installed."""
        found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        return found if os.path.exists(found) else None

    def __init__(self, server, pass_jit=True):
        binary = Bouncer.binary()
        if not binary:
            raise SystemExit("pgbouncer: no PgBouncer; apt-get install pgbouncer")
        self.folder = tempfile.mkdtemp(prefix="nicvault-harness-pgb-")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        # nicvault names itself (application_name, which PgBouncer knows) and turns JIT off (jit, which it does
        # not: a stock PgBouncer refuses the connection, and nicvault connects again without it; with
        # `ignore_startup_parameters = jit`, `pass_jit`, it lets it pass and the first connection serves).
        with open(self.folder + "/pgbouncer.ini", "w") as f:
            f.write(f"[databases]\npostgres = host=127.0.0.1 port={server.port} dbname=postgres\n"
                    f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
                    f"auth_type = trust\nauth_file = {self.folder}/users.txt\npool_mode = session\n"
                    + ("ignore_startup_parameters = jit\n" if pass_jit else "") + f"logfile = {self.folder}/log\n")
        with open(self.folder + "/users.txt", "w") as f:
            f.write('"nicvault" ""\n')
        user = {}
        if os.geteuid() == 0:
            for name in os.listdir(self.folder):
                os.chown(self.folder + "/" + name, 65534, 65534)
            os.chown(self.folder, 65534, 65534)
            user = {"user": 65534, "group": 65534, "extra_groups": []}
        # In the foreground, a child of this process: close() stops it whatever happened in between.
        self.process = subprocess.Popen([binary, self.folder + "/pgbouncer.ini"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, **user)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"pgbouncer: exited with {self.process.returncode}; see {self.folder}/log")
                time.sleep(0.05)
        self.url = f"postgresql://nicvault@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def pgbouncer(writers):
    """The store through PgBouncer in session pooling (what a fleet of short jobs puts in front of PostgreSQL):
    registration and rotation (their flow locks are session advisory locks), show through the lookup file, WRITERS
    processes changing distinct credentials at once and two on the same one: nothing lost, a conflict is exit 4."""
    server = Postgres()
    bouncer = Bouncer(server, pass_jit=False)  # a stock configuration
    box = Box()
    started = time.time()
    try:
        box.env = dict(box.env, NICVAULT_STORE=bouncer.url, NICVAULT_STORE_TIMEOUT="20")
        box.run("store", "init", check_ok=True)
        box.run("init", "--kdf", "interactive", check_ok=True)
        registered = box.run("register", "27AABCD1234E1Z8", "--otp-from-outbox")
        check("register through PgBouncer", registered.returncode == 0, registered.stderr)
        rotated = box.run("rotate", "27AABCD1234E1Z8")
        check("rotate through PgBouncer (a flow lock held on its own connection)", rotated.returncode == 0,
              rotated.stderr)
        gstins = []
        for i in range(writers):
            first14 = f"29AAPFU{2000 + i:04d}F1Z"
            gstins.append(first14 + check_digit(first14))
            box.run("add", gstins[-1], "--kind", "portal", "--env", "sandbox", "--user-id", f"BOUNCE{i:04d}",
                    stdin=f"Pw@{i:04d}abcX\n", check_ok=True)
        shown = [box.run("show", gstins[0], "--field", "userID") for _ in range(2)]
        check("show twice (the second through the lookup file)",
              all(s.returncode == 0 and s.stdout.strip() == "BOUNCE0000" for s in shown), shown[-1].stderr)
        spawned = [box.spawn("set", g, "--every", f"{40 + i}d") for i, g in enumerate(gstins)]
        codes = [p.wait(timeout=120) for p in spawned]
        check(f"{writers} writers on distinct credentials at once all succeed", codes == [0] * writers, str(codes))
        listed = {c["gstin"]: c for c in json.loads(box.run("list", "--json", check_ok=True).stdout)}
        days = [json.loads(box.run("show", g, "--json", check_ok=True).stdout).get("rotationDays") for g in gstins]
        check("every acknowledged change is there", days == [40 + i for i in range(writers)] and
              all(g in listed for g in gstins), str(days))
        same = [box.spawn("set", gstins[0], "--every", f"{60 + i}d") for i in range(2)]
        codes = sorted(p.wait(timeout=120) for p in same)
        check("two writers on one credential: each succeeds or is told to run it again (exit 4)",
              codes in ([0, 0], [0, 4]), str(codes))
        # One credential more, dated 100 days back (import keeps a json export's dates): `list --due` exits 10,
        # and ends its connection like every other command.
        exported = box.export()
        late = next(c for c in exported["credentials"] if c["gstin"] == gstins[0])
        first14 = "29AAPFU1999F1Z"
        late.update(gstin=first14 + check_digit(first14), userID="BOUNCELATE",
                    createdAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 100 * 86400)))
        late.pop("rotatedAt", None)
        exported["credentials"] = [late]
        path = box.root + "/late.json"
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            json.dump(exported, f)
        box.run("import", path, "--format", "json", check_ok=True)
        os.remove(path)
        due = box.run("list", "--due", "--json")
        check("list --due through PgBouncer exits 10 with the late credential", due.returncode == 10 and
              [c["gstin"] for c in json.loads(due.stdout)] == [late["gstin"]], due.stderr)
        # Each command ends its connection with PostgreSQL's Terminate message: the pooler logs no vanished client.
        with open(bouncer.folder + "/log", errors="replace") as log:
            vanished = log.read().count("client unexpected eof")
        check("every connection said goodbye (PgBouncer logs no 'client unexpected eof')", vanished == 0,
              f"{vanished} such lines")
        print(f"pgbouncer: session pooling, register, rotate, {writers} writers at once, "
              f"{time.time() - started:.1f} s")
    finally:
        box.close()
        bouncer.close()
        server.close()


def postgres(processes, changes):
    """P processes × N changes across two PostgreSQL stores (two databases of one server) opened at once, under
    SIGKILL of clients, terminated backends and a server restart: acknowledged changes all present, both vaults
    always open, each generation matched by exactly one audit row."""
    server = Postgres()
    box = Box()
    started = time.time()
    try:
        server.sql("CREATE DATABASE second")
        stores = [server.url, server.url.replace("/postgres?", "/second?")]
        envs = [dict(box.env, NICVAULT_STORE=url) for url in stores]
        for env in envs:
            env.setdefault("NICVAULT_STORE_TIMEOUT", "20")
        gstins = []
        for number, env in enumerate(envs):
            box.env = env
            box.run("store", "init", check_ok=True)
            box.run("init", "--kdf", "interactive", check_ok=True)
        for i in range(processes):
            first14 = f"27AAPFU{1000 + i:04d}F1Z"
            gstin = first14 + check_digit(first14)
            gstins.append((gstin, envs[i % 2]))
            box.env = envs[i % 2]
            box.run("add", gstin, "--kind", "portal", "--env", "sandbox", "--user-id", f"USER{i:04d}",
                    stdin=f"Pw@{i:04d}abcX\n", check_ok=True)
        acknowledged = {}  # gstin -> last acknowledged rotation interval
        lock = threading.Lock()
        killed = terminated = failed = 0
        reasons = []

        def writer(gstin, env):
            nonlocal killed, failed
            for n in range(changes):
                days = 10 + n
                process = subprocess.Popen([BIN, "set", gstin, "--every", f"{days}d"], env=env,
                                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.PIPE, text=True)
                if random.random() < 0.1:
                    time.sleep(random.uniform(0.0, 0.3))
                    process.kill()
                    process.wait()
                    with lock:
                        killed += 1
                    continue
                _, err = process.communicate()
                if process.returncode == 0:
                    with lock:
                        acknowledged[gstin] = days
                else:
                    with lock:
                        failed += 1
                        reasons.append(err.strip())

        threads = [threading.Thread(target=writer, args=pair) for pair in gstins]
        for thread in threads:
            thread.start()
        # Meanwhile, what an administrator or a failover does to the server.
        restarted = False
        while any(thread.is_alive() for thread in threads):
            time.sleep(random.uniform(0.2, 0.6))
            if not restarted and time.time() - started > 2:
                server.restart()
                restarted = True
                continue
            try:
                count = server.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE usename = 'nicvault' AND pid <> pg_backend_pid() AND state <> 'idle'")
                terminated += int(count or 0)
            except subprocess.CalledProcessError:
                pass
        for thread in threads:
            thread.join()
        # A refusal may only be the server's doing (terminated, restarting, unreachable): never a false alarm.
        for reason in reasons:
            check("a refusal is the server's doing, never a false rollback or damage",
                  "back in time" not in reason and "damaged" not in reason and "differs" not in reason, reason)
        for env in envs:
            box.env = env
            listed = box.run("list", "--json")
            check("the vault opens after it all", listed.returncode == 0, listed.stderr)
        for gstin, env in gstins:
            if gstin not in acknowledged:
                continue
            box.env = env
            shown = box.run("show", gstin, "--json")
            value = json.loads(shown.stdout)["rotationDays"] if shown.returncode == 0 else None
            # A later change that was killed may have landed after the last acknowledged one: never an earlier one.
            check(f"{gstin}: the last acknowledged change is there", value is not None and value >= acknowledged[gstin],
                  f"{value} < {acknowledged[gstin]}")
        generations = []
        for database in ("postgres", "second"):
            generation = int(server.sql_in(database, "SELECT generation FROM nicvault_vault"))
            saves = int(server.sql_in(database, "SELECT count(*) FROM nicvault_audit"))
            check(f"{database}: one audit row per save, none lost or doubled", generation == saves,
                  f"{generation} vs {saves}")
            generations.append(generation)
        print(f"postgres: {processes} × {changes} changes over two stores, {len(acknowledged)} credentials with "
              f"acknowledged changes, {killed} clients killed, {terminated} backends terminated, {failed} refused, "
              f"server restarted {'once' if restarted else 'never'}, generations {generations}, "
              f"{time.time() - started:.1f} s")
    finally:
        box.close()
        server.close()


def postgres_due(count):
    """`rotate --due` on COUNT credentials kept in a PostgreSQL store, the server restarted while it runs (the
    portal answers each password change 0.3 s late, so the restart lands mid-batch): the batch carries on over a
    new connection or fails a credential in the server's words, nothing is half-written, what was pending
    resumes from the vault, and afterwards the vault holds every password the portal holds."""
    server = Postgres()
    box = Box()
    proxy = None
    try:
        seed, gstins = seed_file(box, count)
        box.serve(seed)
        proxy = Proxy(box.url)
        # Credentials the portal knows, made due: registered into a file vault, exported, dated 100 days back
        # and imported into the store's vault (import keeps a json export's dates).
        box.run("init", "--kdf", "interactive", check_ok=True)
        for g in gstins:
            box.run("register", g, "--portal", box.url, "--otp-from-outbox", check_ok=True)
        exported = box.export()
        back = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 100 * 86400))
        for credential in exported["credentials"]:
            credential["createdAt"] = back
            credential.pop("rotatedAt", None)
        path = box.root + "/due.json"
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            json.dump(exported, f)
        box.env = dict(box.env, NICVAULT_STORE=server.url, NICVAULT_STORE_TIMEOUT="5")
        box.run("store", "init", check_ok=True)
        box.run("init", "--kdf", "interactive", check_ok=True)
        box.run("import", path, "--format", "json", check_ok=True)
        os.remove(path)
        due = json.loads(box.run("list", "--due", "--json").stdout)  # exit 10: something is due
        check("every imported credential is due", len(due) == count, f"{len(due)} of {count}")

        proxy.rules = {"/api/v1/password": ("delay", 0.3)}
        saves = lambda: int(server.sql("SELECT count(*) FROM nicvault_audit"))
        before = saves()
        started = time.time()
        batch = subprocess.Popen([BIN, "rotate", "--due", "--portal", proxy.url, "--timeout", "5"], env=box.env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        while batch.poll() is None and saves() < before + 4 and time.time() - started < 60:
            time.sleep(0.05)
        in_flight = batch.poll() is None
        at_restart = saves() - before
        server.restart()
        _, err = batch.communicate(timeout=600)
        landed = saves() - before
        check("the restart landed in the middle of the batch", in_flight and at_restart < 2 * count,
              f"{at_restart} saves")
        # A connection the server closed between two statements is replaced (nothing was sent on it); a statement
        # in flight at the restart fails that credential with "may or may not have been saved".
        check("the batch rides through the restart, or says what the server did",
              batch.returncode == 0 or "may or may not have been saved" in err or "the store" in err, err)
        check("its failures are the server's, never damage or rollback",
              "damaged" not in err and "back in time" not in err and "differs" not in err, err)
        check("a server that stopped answering is not mistaken for a store without its schema",
              "store init" not in err, err)

        proxy.rules = {}
        time.sleep(1)  # the late password changes the proxy still held have landed
        listed = json.loads(box.run("list", "--json", check_ok=True).stdout)
        pending = [c["gstin"] for c in listed if c["status"] == "pending"]
        for g in pending:
            resumed = box.run("rotate", g, "--resume", "--portal", box.url)
            check(f"{g}: the pending rotation resumes after the restart", resumed.returncode == 0, resumed.stderr)
        again = box.run("rotate", "--due", "--portal", box.url)
        check("rotate --due finishes the batch", again.returncode == 0, again.stderr)
        left = json.loads(box.run("list", "--due", "--json").stdout)
        check("nothing is due or pending afterwards", left == [], str(left))
        for g in gstins:
            check(f"{g}: the vault holds what the portal holds", vault_holds_portal_password(box, g))

        # Another machine (its own home, state and flow-lock folder; the same store) may not resume or rotate a
        # credential while this machine's request about it is on its way to the portal.
        other = dict(box.env, HOME=box.root + "/other", XDG_DATA_HOME=box.root + "/other/data",
                     XDG_STATE_HOME=box.root + "/other/state", XDG_CACHE_HOME=box.root + "/other/cache")
        proxy.rules = {"/api/v1/password": ("delay", 2)}
        first = subprocess.Popen([BIN, "rotate", gstins[0], "--portal", proxy.url, "--timeout", "10"], env=box.env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        raced = []
        for attempt in (["rotate", gstins[0], "--resume"], ["rotate", gstins[0]]):
            second = subprocess.run([BIN, *attempt, "--portal", box.url], env=other, capture_output=True, text=True)
            raced.append(second.returncode)
            check(f"another machine's {' '.join(attempt[2:]) or 'rotation'} racing a live rotation is refused "
                  "with exit 4", second.returncode == 4 and "another nicvault process" in second.stderr,
                  second.stderr)
        _, first_err = first.communicate(timeout=60)
        check("the live rotation completes", first.returncode == 0, first_err)
        proxy.rules = {}
        check("the vault holds what the portal holds (race across machines)",
              vault_holds_portal_password(box, gstins[0]))
        after = subprocess.run([BIN, "rotate", gstins[0], "--portal", box.url], env=other, capture_output=True,
                               text=True)
        check("the other machine rotates it once the first is done", after.returncode == 0, after.stderr)
        generation = int(server.sql("SELECT generation FROM nicvault_vault"))
        check("one audit row per save across the restart", generation == saves(), f"{generation} vs {saves()}")
        print(f"postgres-due: {count} due, the server restarted after {at_restart} saves of the batch, which made "
              f"{landed} in all and exited {batch.returncode}; {len(pending)} pending resumed, "
              f"{time.time() - started:.1f} s")
        if os.environ.get("HARNESS_VERBOSE"):
            print(err)
    finally:
        if proxy:
            proxy.close()
        box.close()
        server.close()


if __name__ == "__main__":
    # Run a private copy, so that a rebuild while a long harness runs cannot pull the binary away.
    private = tempfile.mkdtemp(prefix="nicvault-harness-bin-")
    shutil.copy2(BIN, private + "/nicvault")
    BIN = private + "/nicvault"
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    arguments = [int(a) for a in sys.argv[2:]]
    random.seed(int(os.environ.get("HARNESS_SEED", "1")))
    {"crash": crash, "concurrency": concurrency, "tamper": tamper, "fulldisk": fulldisk, "hygiene": hygiene,
     "late": late, "embedded": embedded, "postgres": postgres,
     "postgres-due": postgres_due, "pgbouncer": pgbouncer, "terminal": terminal}[command](
        *arguments)
    shutil.rmtree(private, ignore_errors=True)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)
