# nicvault: the commands a developer and CI run. `make demo` and `make test` work on a fresh machine
# with only the Swift toolchain installed: `setup` brings libsodium, OpenSSL and pkg-config from Debian, and
# the Python packages the tests use from Debian too (a stock Debian's python3 refuses pip, PEP 668).
SWIFT    ?= swift
SRC      := Package.swift Sources Tests Benchmarks/Package.swift Benchmarks/Benchmarks
BIN      := .build/debug/nicvault
PREFIX   ?= /usr/local
# make install builds the release binary; make test installs its debug build into a temporary prefix.
CONFIG   ?= release
# Release builds link the Swift runtime and Foundation in: the installed binary needs only Debian's libsodium23,
# libssl3, zlib and libstdc++, and starts in about 8 ms instead of 12 (docs/performance.md).
STATIC   := --static-swift-stdlib

.PHONY: setup build release test interop e2e harness harness-long fuzz demo bench microbench lint fmt clean vectors asan tsan install install-check

setup:
	@if ! pkg-config --exists libsodium openssl 2>/dev/null; then \
		echo "Installing libsodium-dev, libssl-dev and pkg-config (Debian packages)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libsodium-dev libssl-dev pkg-config; \
	fi
	@if ! /usr/bin/python3 -c 'import nacl, dotenv, venv, ensurepip' 2>/dev/null; then \
		echo "Installing python3-nacl, python3-dotenv and python3-venv (Debian): the tests' Python is Debian's"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq python3-nacl python3-dotenv python3-venv; \
	fi
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! [ -x /usr/sbin/pgbouncer ]; then \
		echo "Installing postgresql and pgbouncer (Debian): the PostgreSQL store's tests start a throwaway server"; \
		echo "of their own, and a PgBouncer in front of it (neither is started as a service here)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql pgbouncer; \
	fi

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release $(STATIC)

test: setup
	$(SWIFT) build
	$(SWIFT) test
	$(MAKE) -s interop
	$(MAKE) -s harness
	$(MAKE) -s e2e
	$(MAKE) -s install-check

# The binary, a man page made from the commands' own help, and bash, zsh and fish completions.
install: setup
	$(SWIFT) build -c $(CONFIG) $(if $(filter release,$(CONFIG)),$(STATIC))
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/man/man1" \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions" "$(DESTDIR)$(PREFIX)/share/zsh/site-functions" \
		"$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d"
	install -m 0755 .build/$(CONFIG)/nicvault "$(DESTDIR)$(PREFIX)/bin/nicvault"
	.build/$(CONFIG)/nicvault --experimental-dump-help | /usr/bin/python3 scripts/manpage.py \
		> "$(DESTDIR)$(PREFIX)/share/man/man1/nicvault.1"
	.build/$(CONFIG)/nicvault --generate-completion-script bash \
		> "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/nicvault"
	.build/$(CONFIG)/nicvault --generate-completion-script zsh > "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_nicvault"
	.build/$(CONFIG)/nicvault --generate-completion-script fish \
		> "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/nicvault.fish"

# make install into a temporary prefix, and each installed piece works.
install-check:
	./scripts/install-check.sh

# An independent reader (Python + libsodium), written from docs/format.md alone, opens the v1 and v2 test vectors.
interop:
	/usr/bin/python3 interop/read_vault.py docs/format-vectors.md docs/format-vectors-v2.md

# Reliability harnesses against the real binary (harness/harness.py): the short versions CI runs ...
harness: build
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py crash 50
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py concurrency 4 10
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py tamper 100
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py fulldisk
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py hygiene
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py terminal
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py late 2
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py embedded 8
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py postgres 4 8
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py postgres-due 8
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py pgbouncer 4

# ... and the long ones (about 20 minutes on 2 cores).
harness-long: build
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py crash 1000
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py concurrency 8 50
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py tamper 1000
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py late 10
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py postgres 8 50
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py postgres-due 40
	NICVAULT_BIN=$(BIN) /usr/bin/python3 harness/harness.py pgbouncer 16

# libFuzzer over the vault parser and opener (swiftc -sanitize=fuzzer,address), seeded with real vaults.
fuzz: setup
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} ./fuzz/run.sh

# A real e-invoice library (gst-e-invoicing, PyPI) authenticates against the sandbox with nicvault's credentials.
e2e: build
	./scripts/e2e.sh $(BIN)

demo: build
	./scripts/demo.sh $(BIN)

# Regenerate the test vectors of docs/format.md (they are checked by the tests; regenerate only on purpose).
vectors: build
	$(SWIFT) run -q nicvault-vectors > docs/format-vectors.md
	$(SWIFT) run -q nicvault-vectors v2 > docs/format-vectors-v2.md

# Figures for docs/performance.md: release build, hyperfine and GNU time, pass and age in the same run.
bench: setup
	./scripts/bench.sh

# Micro-benchmarks of format encode/decode and seal/open (ordo-one/benchmark, nested package).
microbench: setup
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark --no-progress

lint:
	$(SWIFT) format lint --strict --parallel --recursive $(SRC)

fmt:
	$(SWIFT) format --in-place --parallel --recursive $(SRC)

asan: setup
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --sanitize=address --scratch-path .build-asan

tsan: setup
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan

clean:
	rm -rf .build .build-asan .build-tsan Benchmarks/.build
