# iotkit — one non-recursive Makefile.  make [all|check|demo|bench|install|uninstall|fuzz|clean]
# User flags are kept: CFLAGS/LDFLAGS from the environment come after ours.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
VERSION := 0.1.0

CC      ?= cc
PKGS    := jansson libzstd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -lzstd)
WARN    := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes
OPT     ?= -O2
ifeq ($(SAN),1)
B       := build/san
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SANLD   := -fsanitize=address,undefined
else
B       := build/rel
endif
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE -DIOT_VERSION='"$(VERSION)"' $(WARN) $(OPT) -iquote lib $(PKG_CFLAGS) $(CFLAGS)
LIBS    := $(PKG_LIBS) -lcsv -lm
ALL_LDFLAGS := $(SANLD) $(LDFLAGS)

LIB_SRC := $(sort $(wildcard lib/*/*.c))
LIB_OBJ := $(LIB_SRC:lib/%.c=$(B)/lib/%.o)
TOOLS   := $(sort $(patsubst cmd/%.c,%,$(wildcard cmd/iot-*.c)))
BINS    := $(TOOLS:%=$(B)/bin/%)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNITS   := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCHES := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
MANS    := $(wildcard man/*.1 man/*.7)

.PHONY: all deps check unit bats demo bench install uninstall fuzz fuzzdeps clean mutants
all: $(BINS)

$(B)/lib/%.o: lib/%.c $(wildcard lib/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(B)/libiot.a: $(LIB_OBJ)
	rm -f $@; ar rcs $@ $^
# libmosquitto only where lib/route/endpoint.o (its MQTT endpoint) is linked in
$(B)/bin/iot-route $(B)/unit/test_endpoint: LIBS += -lmosquitto
$(B)/bin/%: cmd/%.c $(B)/libiot.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libiot.a $(ALL_LDFLAGS) $(LIBS)
$(B)/bin/iot-state: LIBS += -lsqlite3
$(B)/unit/%: tests/unit/%.c tests/unit/unit.h $(B)/libiot.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -iquote tests/unit -o $@ $< $(B)/libiot.a $(ALL_LDFLAGS) $(LIBS)

# Installs the Debian packages the build and tests need (as root), or says the one command to run.
DEBS := build-essential pkg-config libjansson-dev libcsv-dev libzstd-dev zstd bats bats-assert bats-support jq mosquitto mosquitto-clients libmosquitto-dev prometheus parallel time man-db bsdextrautils python3 libsqlite3-dev sqlite3 libxml2-utils tmux tzdata fonts-dejavu-core chromium
deps:
	@sh tests/deps.sh $(DEBS)

# Tests: TAP from the C unit tests and the bats files, one summary line at the end.
check: deps
	@$(MAKE) --no-print-directory all units SAN=$(SAN)
	@IOT_BIN=$(CURDIR)/$(B)/bin IOT_UNIT=$(CURDIR)/$(B)/unit sh tests/run.sh $(T)
units: $(UNITS)

# Mutation smoke test (slow, not part of check): each of tests/mutants.sh's deliberate bugs in
# lib/, applied one at a time to a scratch copy, must make the tests that guard it fail.
mutants: deps
	@sh tests/mutants.sh $(M)

$(B)/bench/%: bench/%.c $(B)/libiot.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libiot.a $(ALL_LDFLAGS) $(LIBS)

# Fuzzing with libFuzzer (clang): the library is built again with clang and
# -fsanitize=fuzzer-no-link,address,undefined into build/fuzz, each tests/fuzz/fuzz_*.c links
# against it. `make fuzz` builds every target and runs each for FUZZ_SECONDS (60) from its seeds
# (tests/fuzz/seeds/<target>/); one "ok"/"not ok" line per target, exit 1 if any failed.
# Crash inputs are kept as build/fuzz/crash-*; replay one with build/fuzz/bin/<target> FILE.
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/bin/%)
FUZZ_SAN  := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -std=c17 -D_GNU_SOURCE -DIOT_VERSION='"$(VERSION)"' $(WARN) $(FUZZ_SAN) -iquote lib $(PKG_CFLAGS)
FUZZ_OBJ  := $(LIB_SRC:lib/%.c=build/fuzz/lib/%.o)
build/fuzz/lib/%.o: lib/%.c $(wildcard lib/*/*.h)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
build/fuzz/libiot.a: $(FUZZ_OBJ)
	rm -f $@; ar rcs $@ $^
build/fuzz/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h build/fuzz/libiot.a
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -iquote tests/fuzz -Wl,--wrap=iot_die -o $@ $< build/fuzz/libiot.a $(LIBS)
# clang and libFuzzer's runtime are needed only here, not by `make check`.
fuzzdeps: deps
	@sh tests/deps.sh clang libclang-rt-dev
fuzz: fuzzdeps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@fail=0; for b in $(FUZZ_BINS); do n=$$(basename $$b); c=build/fuzz/corpus/$$n; mkdir -p $$c; \
	  if $$b -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	      -artifact_prefix=build/fuzz/ $$c tests/fuzz/seeds/$$n > build/fuzz/$$n.log 2>&1; then \
	    echo "ok - fuzz $$n: $$(sed -n 's/^stat::number_of_executed_units: *//p' build/fuzz/$$n.log) runs in $(FUZZ_SECONDS) s"; \
	  else fail=1; echo "not ok - fuzz $$n (build/fuzz/$$n.log):"; grep -E 'ERROR|SUMMARY|Test unit written' build/fuzz/$$n.log | head -5 | sed 's/^/  /'; fi; \
	done; exit $$fail

demo: deps
	@$(MAKE) --no-print-directory all
	@PATH=$(CURDIR)/$(B)/bin:$$PATH sh examples/demo.sh

bench: all $(BENCHES)
	@PATH=$(CURDIR)/$(B)/bin:$(CURDIR)/$(B)/bench:$$PATH sh bench/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	for m in man/*.1; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/; done
	for m in man/*.7; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man7/; done
	for t in $(TOOLS); do \
	  [ -f completions/$$t.bash ] && install -m 644 completions/$$t.bash $(DESTDIR)$(BASHCOMPDIR)/$$t; \
	  [ -f completions/_$$t ] && install -m 644 completions/_$$t $(DESTDIR)$(ZSHCOMPDIR)/_$$t; \
	  [ -f completions/$$t.fish ] && install -m 644 completions/$$t.fish $(DESTDIR)$(FISHCOMPDIR)/$$t.fish; \
	done; true

uninstall:
	for t in $(TOOLS); do \
	  rm -f $(DESTDIR)$(BINDIR)/$$t $(DESTDIR)$(MANDIR)/man1/$$t.1 $(DESTDIR)$(BASHCOMPDIR)/$$t \
	        $(DESTDIR)$(ZSHCOMPDIR)/_$$t $(DESTDIR)$(FISHCOMPDIR)/$$t.fish; \
	done
	rm -f $(DESTDIR)$(MANDIR)/man7/iot.7

clean:
	rm -rf build
