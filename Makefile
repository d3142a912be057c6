# eisd — build, run, test, fuzz, bench, install.
VERSION   := 0.1.0
CC        ?= cc
PREFIX    ?= /usr/local
DESTDIR   ?=
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CPPFLAGS  += -D_GNU_SOURCE -DEISD_VERSION='"$(VERSION)"'
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) -pthread
LDLIBS    += -pthread
# Libraries eisd links with (tests/build-deps.sh installs their -dev
# packages when missing); eisc links none of them. libcrypt: --auth-file.
EISD_LIBS := -lcurl -ljansson -lssl -lcrypto -lnghttp2 -lcrypt -lzstd -lbrotlienc -lz

# Every module but the program entry points is shared by eisd and the tests.
# Sources live in one folder per layer (docs/architecture.md); includes are
# qualified by folder ("core/conn.h"), so -Isrc is the only include path.
LIB_SRC   := $(filter-out src/app/main.c src/client/%,$(wildcard src/*/*.c))
HDRS      := $(wildcard src/*/*.h)
CPPFLAGS  += -Isrc
BUILD     ?= build
LIB_OBJ   := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/%)

.PHONY: all run acme-demo test layers unit e2e clean install deps asan fuzz fuzz-short fuzz-build bench valgrind soak soak-short tls-audit scale-test scale-short

all: eisd eisc

eisd: $(BUILD)/eisd
	cp $< $@

eisc: $(BUILD)/eisc
	cp $< $@

# The client stands alone: it shares no code with the server.
$(BUILD)/eisc: $(BUILD)/client/eisc.o
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lm $(LDLIBS)

$(BUILD)/eisd: $(LIB_OBJ) $(BUILD)/app/main.o
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(EISD_LIBS) $(LDLIBS)

# The -dev packages eisd builds against, installed once per build tree
# before the first compile (a fresh machine: make run just works).
BUILD_DEPS := $(BUILD)/.build-deps
$(BUILD_DEPS): tests/build-deps.sh
	@mkdir -p $(@D)
	@sh tests/build-deps.sh
	@touch $@

$(BUILD)/%.o: src/%.c $(HDRS) | $(BUILD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/test_%: tests/unit/test_%.c $(LIB_OBJ) | $(BUILD) $(BUILD_DEPS)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(EISD_LIBS) -lbrotlidec $(LDLIBS)

$(BUILD):
	mkdir -p $@

# Automatic HTTPS against a local test CA (docs/acme.md).
acme-demo: eisd
	@sh tests/deps.sh
	sh contrib/acme-demo.sh

# make run [PORT=N] [ROOT=DIR] [ARGS='--listing ...']
PORT ?= 8080
ROOT ?= www
run: eisd
	./eisd --port $(PORT) $(ARGS) '$(ROOT)'

deps:
	@sh tests/deps.sh

# Every binary runs even when one fails; a skipped cmocka test fails the
# run too (cmocka alone counts it as a pass).
unit: $(UNIT_BIN)
	@failed=""; for t in $(UNIT_BIN); do echo "== $$t"; \
		if ! $$t >$$t.log 2>&1; then failed="$$failed $${t##*/}"; \
		elif grep -q '^\[  SKIPPED \]' $$t.log; then failed="$$failed $${t##*/}(skipped)"; fi; \
		cat $$t.log; \
	done; \
	if [ -n "$$failed" ]; then echo "unit tests FAILED:$$failed"; exit 1; fi

# The suite runs the binary of this BUILD, so a sanitized build never
# replaces ./eisd. Most tests spend their time waiting on a deadline or a
# child process, so E2E_JOBS pytest-xdist workers run them side by side
# (each test has its own server on its own port and root); the tests
# marked "serial" measure machine-wide state or CPU time against each
# other, and run afterwards on their own. E2E_JOBS=0 runs all in one.
E2E_JOBS ?= 3
E2E_ENV  := EISD_BIN=$(CURDIR)/$(BUILD)/eisd EISC_BIN=$(CURDIR)/$(BUILD)/eisc
e2e: $(BUILD)/eisd $(BUILD)/eisc
	@rc=0; \
	$(E2E_ENV) /usr/bin/python3 -m pytest -q -n $(E2E_JOBS) -m 'not serial' tests/e2e || rc=1; \
	$(E2E_ENV) /usr/bin/python3 -m pytest -q -m serial tests/e2e || rc=1; \
	exit $$rc

# make test runs every stage even when one fails, then fails naming the
# stages that did (a broken unit test must not hide an e2e or ASan
# failure). A new check becomes a stage by adding its target here.
TEST_STAGES := layers unit e2e soak-short scale-short asan fuzz-short

test: deps
	@failed=""; for s in $(TEST_STAGES); do \
		echo "==== make test: stage $$s"; \
		$(MAKE) --no-print-directory $$s || failed="$$failed $$s"; \
	done; \
	if [ -n "$$failed" ]; then echo "==== make test FAILED, stages:$$failed"; exit 1; fi; \
	echo "==== make test: all stages passed ($(TEST_STAGES))"

soak-short:
	$(MAKE) --no-print-directory soak SOAK_SECONDS=15

scale-short:
	$(MAKE) --no-print-directory scale-test SCALE_SECONDS=8

# The layer rules (docs/architecture.md): the check, and proof it can fail.
layers:
	@sh tests/check_layers.sh
	@sh tests/check_layers.sh --self-test

# Debian's testssl.sh against eisd over TLS (ECDSA and RSA leaves): no
# finding rated HIGH or CRITICAL. A few minutes, so not in make test.
tls-audit: deps $(BUILD)/eisd
	EISD_BIN=$(CURDIR)/$(BUILD)/eisd /usr/bin/python3 tests/tls_audit.py ec
	EISD_BIN=$(CURDIR)/$(BUILD)/eisd /usr/bin/python3 tests/tls_audit.py rsa

# Scale-out: HAProxy (send-proxy-v2, health checks) in front of three
# instances, a rolling graceful restart under load: zero failed requests,
# the real client address in every instance's log.
SCALE_SECONDS ?= 20
scale-test: $(BUILD)/eisd
	EISD_BIN=$(CURDIR)/$(BUILD)/eisd SCALE_SECONDS=$(SCALE_SECONDS) /usr/bin/python3 tests/scale/scale.py

# The soak test: every kind of hostile client at once for SOAK_SECONDS,
# over plain TCP and then over TLS.
SOAK_SECONDS ?= 60
soak: $(BUILD)/eisd
	EISD_BIN=$(CURDIR)/$(BUILD)/eisd SOAK_SECONDS=$(SOAK_SECONDS) /usr/bin/python3 tests/soak/soak.py
	EISD_BIN=$(CURDIR)/$(BUILD)/eisd SOAK_SECONDS=$(SOAK_SECONDS) SOAK_TLS=1 /usr/bin/python3 tests/soak/soak.py

# ---- sanitizers, fuzzing, valgrind (see SECURITY.md) ----

# The whole unit + e2e suite again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer. Every report lands in SAN_REPORTS (a server's
# own stderr is not looked at by anyone); the e2e suite fails the test that
# was running when one appears, and this target fails if any exists at the
# end (unit tests included). LeakSanitizer runs at every exit.
ASAN_BUILD  := build-asan
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	       -fno-sanitize-recover=all
SAN_REPORTS := $(CURDIR)/$(ASAN_BUILD)/reports
SAN_OPTS    := halt_on_error=1:abort_on_error=1:print_stacktrace=1
SAN_ENV     := ASAN_OPTIONS=$(SAN_OPTS):detect_leaks=1:log_path=$(SAN_REPORTS)/asan \
	       UBSAN_OPTIONS=$(SAN_OPTS):log_path=$(SAN_REPORTS)/ubsan \
	       EISD_REPORT_DIR=$(SAN_REPORTS)

# The reports directory is world-writable with the sticky bit (like /tmp):
# servers the tests start as root with --user nobody write their reports
# after dropping root, and would otherwise lose them.
asan: deps
	@rm -rf $(SAN_REPORTS) && mkdir -p $(SAN_REPORTS) && chmod 1777 $(SAN_REPORTS)
	@rc=0; $(SAN_ENV) $(MAKE) -k BUILD=$(ASAN_BUILD) CC=clang CFLAGS='$(ASAN_CFLAGS)' \
		unit e2e || rc=1; \
	sh tests/check_reports.sh $(SAN_REPORTS) || rc=1; exit $$rc

# libFuzzer targets (clang). Each runs FUZZ_SECONDS from its seed corpus in
# tests/fuzz/corpus/NAME; what it discovers goes to build-fuzz/corpus/NAME
# and crash/leak inputs to build-fuzz/artifacts/NAME, never into git. The
FUZZ_BUILD   := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -std=c11 $(WARN) -g -O1 -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_NAMES   := http_parse path range h2 proxy
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIB_OBJ := $(LIB_SRC:src/%.c=$(FUZZ_BUILD)/obj/%.o)

$(FUZZ_BUILD)/obj/%.o: src/%.c $(HDRS) | $(FUZZ_BUILD)/.build-deps
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -pthread -c -o $@ $<

# An archive, so each target links only the modules it uses.
$(FUZZ_BUILD)/libeisd.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/.build-deps: tests/build-deps.sh
	@mkdir -p $(@D)
	@sh tests/build-deps.sh
	@touch $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libeisd.a
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -pthread -o $@ $^ $(EISD_LIBS)

fuzz-build: $(FUZZ_BINS)

# -error_exitcode and -detect_leaks: any crash, leak, sanitizer report or
# hang (-timeout) ends the run non-zero; the log's tail says why.
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@failed=""; for t in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
		log=$(FUZZ_BUILD)/fuzz_$$t.log; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS)s (log: $$log)"; \
		if ! $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			-error_exitcode=77 -timeout=10 -detect_leaks=1 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
			$(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; then \
			tail -n 60 $$log; echo "fuzz_$$t FAILED: see $$log and $(FUZZ_BUILD)/artifacts/$$t/"; \
			failed="$$failed fuzz_$$t"; continue; \
		fi; \
		grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' $$log | tr '\n' ' '; echo; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz targets FAILED:$$failed"; exit 1; fi

fuzz-short:
	$(MAKE) fuzz FUZZ_SECONDS=20

# The e2e tests marked "smoke", each server run under valgrind memcheck:
# no memory error and no definite or indirect leak at exit. Not part of
# make test (about a minute). Valgrind's notes ("--PID-- ...", such as the
# openat2 it does not know, after which eisd falls back) are not errors.
VG_REPORTS := $(CURDIR)/$(BUILD)/valgrind
VALGRIND   := valgrind -q --error-exitcode=99 --leak-check=full \
	      --errors-for-leak-kinds=definite,indirect \
	      --show-leak-kinds=definite,indirect --log-file=$(VG_REPORTS)/vg.%p

valgrind: deps $(BUILD)/eisd
	@rm -rf $(VG_REPORTS) && mkdir -p $(VG_REPORTS)
	@rc=0; EISD_BIN=$(CURDIR)/$(BUILD)/eisd EISD_WRAPPER='$(VALGRIND)' \
		EISD_REPORT_DIR=$(VG_REPORTS) \
		/usr/bin/python3 -m pytest -q -m smoke tests/e2e || rc=1; \
	sh tests/check_reports.sh $(VG_REPORTS) || rc=1; exit $$rc

# eisd vs nginx vs lighttpd (installs them when missing); writes
# bench/results/latest.{md,json,png}. BENCH_ARGS="--rounds 1" etc.
bench: eisd
	/usr/bin/python3 bench/run.py $(BENCH_ARGS)

clean:
	rm -rf build build-* eisd eisc

install: eisd eisc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 eisd $(DESTDIR)$(PREFIX)/bin/eisd
	install -m 755 eisc $(DESTDIR)$(PREFIX)/bin/eisc
	install -m 644 man/eisd.1 $(DESTDIR)$(PREFIX)/share/man/man1/eisd.1
	install -m 644 man/eisc.1 $(DESTDIR)$(PREFIX)/share/man/man1/eisc.1
