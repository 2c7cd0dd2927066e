#!/usr/bin/env python3
"""Reliability harnesses of nicvault, run against the real binary (and the real sandbox portal on loopback).

  harness.py crash N         SIGKILL register/rotate/update at random instants, N times
  harness.py concurrency P N P processes, N changes each, on one vault
  harness.py tamper N        flip every header byte and N payload bytes, truncate, append: all refused as damage
  harness.py fulldisk        a really full disk (a 64 KiB tmpfs; needs root): clear message, vault intact
  harness.py hygiene         no password in plain text in the vault, backup, temp files or sandbox state

Each prints its figures and ends with "N passed, N failed". Uses only the standard library.
"""
import json, os, random, re, shutil, signal, subprocess, sys, tempfile, time, urllib.request

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
                        XDG_STATE_HOME=self.root + "/state", NICVAULT_PASSPHRASE_FILE=self.root + "/pass")
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
        registered, acknowledged, kills, started = [], {}, 0, time.time()
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
                    check("register --resume settles", done.returncode == 0, done.stderr)
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
        print(f"crash: {iterations} runs, {kills} killed mid-run, {len(registered)} credentials, "
              f"generation {box.generation()}, {time.time() - started:.1f} s")
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


def header_length(data):
    offset = 8 + 2 + 16 + 8
    slots = data[offset]
    offset += 1
    for _ in range(slots):
        offset += 3 + int.from_bytes(data[offset + 1:offset + 3], "big")
    return offset + 24 + 8 + 32


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


if __name__ == "__main__":
    # Run a private copy, so that a rebuild while a long harness runs cannot pull the binary away.
    private = tempfile.mkdtemp(prefix="nicvault-harness-bin-")
    shutil.copy2(BIN, private + "/nicvault")
    BIN = private + "/nicvault"
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    arguments = [int(a) for a in sys.argv[2:]]
    random.seed(int(os.environ.get("HARNESS_SEED", "1")))
    {"crash": crash, "concurrency": concurrency, "tamper": tamper, "fulldisk": fulldisk, "hygiene": hygiene}[command](
        *arguments)
    shutil.rmtree(private, ignore_errors=True)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)
