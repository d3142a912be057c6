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

# Every module but the program entry points is shared by eisd and the tests.
LIB_SRC   := $(filter-out src/main.c src/eisc.c,$(wildcard src/*.c))
BUILD     ?= build
LIB_OBJ   := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/%)

.PHONY: all run test unit e2e clean install deps asan fuzz bench valgrind soak

all: eisd eisc

eisd: $(BUILD)/eisd
	cp $< $@

eisc: $(BUILD)/eisc
	cp $< $@

# The client stands alone: it shares no code with the server.
$(BUILD)/eisc: $(BUILD)/eisc.o
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lm $(LDLIBS)

$(BUILD)/eisd: $(LIB_OBJ) $(BUILD)/main.o
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/test_%: tests/unit/test_%.c $(LIB_OBJ) | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Isrc $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

$(BUILD):
	mkdir -p $@

run: eisd
	./eisd --port 8080 www

deps:
	@sh tests/deps.sh

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

e2e: eisd eisc
	EISD_BIN=$(CURDIR)/eisd EISC_BIN=$(CURDIR)/eisc /usr/bin/python3 -m pytest -q tests/e2e

test: deps
	$(MAKE) unit e2e
	$(MAKE) soak SOAK_SECONDS=15

# The soak test: every kind of hostile client at once for SOAK_SECONDS.
SOAK_SECONDS ?= 60
soak: eisd
	EISD_BIN=$(CURDIR)/eisd SOAK_SECONDS=$(SOAK_SECONDS) /usr/bin/python3 tests/soak/soak.py

clean:
	rm -rf build build-* eisd eisc

install: eisd eisc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 eisd $(DESTDIR)$(PREFIX)/bin/eisd
	install -m 755 eisc $(DESTDIR)$(PREFIX)/bin/eisc
	install -m 644 man/eisd.1 $(DESTDIR)$(PREFIX)/share/man/man1/eisd.1
	install -m 644 man/eisc.1 $(DESTDIR)$(PREFIX)/share/man/man1/eisc.1
