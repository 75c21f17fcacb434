#!/bin/sh
# make mutants: a mutation smoke test. Each mutant below is one small deliberate bug in lib/
# (a flipped comparison, an off-by-one, a dropped write, a wrong sign, a skipped fsync). One at
# a time it is applied to a scratch copy of the tree (never the working tree), the copy is
# rebuilt, and the tests that guard that code run: every mutant must make them fail. Slow (a
# rebuild and a test file per mutant), so not part of `make check`.
#   usage: tests/mutants.sh [NAME...]     (default: every mutant)
# Exit status 0 when every mutant is killed, 1 when one survives or does not apply.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/iot-mutants.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
tar -C "$root" --exclude=./build -cf - . | tar -C "$scratch" -xf -
log="$scratch/mutants.log"

# NAME<TAB>FILE<TAB>OLD<TAB>NEW<TAB>TESTS   (@NL@ = a newline; TESTS: a bats file by name, FILE@REGEX
# for the tests of that file whose name matches REGEX (bats -f), or unit:NAME)
mutants() {
    cat <<'EOF'
window-boundary	lib/window/window.c	e - w->c.size <= t :	e - w->c.size < t :	iot-window@golden
window-close	lib/window/window.c	wm >= w->bk[i].end : wm > w->bk[i].end	wm >= w->bk[i].end : wm >= w->bk[i].end	iot-window@golden iot-window@exactly.the.watermark
dedupe-horizon	lib/ingest/dedupe.c	return d->newest - d->window;	return d->newest - d->window + 1;	iot-ingest@dedupe
dedupe-too-old	lib/ingest/dedupe.c	        pop(d);@NL@    if (t < horizon) {	        pop(d);@NL@    if (t <= horizon) {	iot-ingest@dedupe
dedupe-key-too-old	lib/ingest/dedupe.c	    int64_t horizon = horizon_of(d, t);@NL@    if (t < horizon) {	    int64_t horizon = horizon_of(d, t);@NL@    if (t <= horizon) {	iot-ingest@dedupe
dead-letter-dropped	lib/core/diag.c	    if (iot_diag.dead_letter) {@NL@        if (!dead)	    if (0) {@NL@        if (!dead)	cli@dead.letters iot-ingest@golden
exit-65-lost	lib/core/diag.c	return iot_stat_rejected && !iot_diag.dead_letter ? IOT_EX_DATAERR : IOT_EX_OK;	return IOT_EX_OK;	iot-ingest@golden
utf8-bytes-dropped	lib/core/diag.c	if (!iot_utf8_valid(line, len)) {	if (0) {	cli@dead.letters
merge-sign	lib/window/xsum.c	for (int32_t k = 0; k < b->n; k++) c[k] += b->c[k];	for (int32_t k = 0; k < b->n; k++) c[k] -= b->c[k];	unit:test_agg
variance-sign	lib/window/xsum.c	col[i + j + off] -= 	col[i + j + off] += 	unit:test_agg
round-ties	lib/window/xsum.c	if (rbit && ((mant & 1) || sticky)) mant++;	if (rbit) mant++;	unit:test_agg
carry-skipped	lib/window/xsum.h	if (__builtin_expect(++x->adds >= IOT_XSUM_LIMIT, 0)) iot_xsum_carry_(x);	++x->adds;	unit:test_agg
avg-divisor	lib/window/agg.c	dd_div_d(h, l, n, &h, &l); *out = h + l; return 0;	dd_div_d(h, l, n + 1, &h, &l); *out = h + l; return 0;	iot-window@golden
min-flipped	lib/window/agg.c	if (f->n == 1 || v < f->min) f->min = v;	if (f->n == 1 || v > f->min) f->min = v;	iot-window@golden
percentile-floor	lib/window/agg.c	hi = (size_t)ceil(r);	hi = (size_t)floor(r);	unit:test_agg
late-not-said	lib/window/winjob.c	iot_stat_add("late_adjusted", 1); adjusted++;	iot_stat_add("late_adjusted", 1);	iot-window@late.events
fsync-skipped	lib/core/out.c	if (fsync(o->fd) < 0 && errno != EINVAL) write_failed(o, errno);	if (0) write_failed(o, errno);	cli@fsynced
crlf-kept	lib/core/in.c	        if (n && l[n - 1] == '\r') n--;@NL@        if (r->skipping) {	        if (r->skipping) {	iot-ingest@golden
max-line-ignored	lib/core/in.c	r->scan > r->max_line + 1 &&	r->scan > r->max_line + 100000 &&	cli@dead.letters
escape-quote	lib/core/buf.c	case '"': *d++ = '"'; break;	case '"': *d++ = '\''; break;	iot-ingest@golden
utc-offset-sign	lib/core/time.c	int sign = s[i] == '-' ? -1 : 1	int sign = s[i] == '-' ? 1 : 1	iot-ingest@golden
key-type-lost	lib/core/key.c	        iot_buf_addc(b, '\x1e');@NL@        iot_buf_add(b, v->p, v->n);	        iot_buf_add(b, v->p, v->n);	rules
optarg-hint-lost	lib/core/cli.c	if (matches == 1 && hit) {	if (0) {	iot-ingest@did.you.mean
EOF
}

# tests SPEC...: 0 if all pass
run_tests() {
    for t in "$@"; do
        case $t in
            unit:*) "$scratch/build/rel/unit/${t#unit:}" < /dev/null > "$log" 2>&1 || return 1 ;;
            *@*) (cd "$scratch" && PATH="$scratch/build/rel/bin:$PATH" bats --tap -f "${t#*@}" "tests/${t%%@*}.bats") \
                    < /dev/null > "$log" 2>&1 || return 1
                 grep -q '^ok ' "$log" || return 1 ;;    # a filter that matches nothing: fails the baseline
            *) make -C "$scratch" --no-print-directory check T="tests/$t.bats" < /dev/null > "$log" 2>&1 || return 1 ;;
        esac
    done
}

echo "mutants: building a scratch copy in $scratch"
make -C "$scratch" -j1 all units > "$log" 2>&1 || { cat "$log"; echo "mutants: the unmutated tree does not build"; exit 1; }
all_tests=$(mutants | cut -f5 | tr ' ' '\n' | sort -u | tr '\n' ' ')
if ! run_tests $all_tests; then
    tail -20 "$log"; echo "mutants: the unmutated tree fails its tests ($all_tests)"; exit 1
fi

n=0; killed=0; bad=0
tab=$(printf '\t')
mutants > "$scratch/list"
while IFS="$tab" read -r name file old new tests; do
    if [ $# -gt 0 ]; then
        case " $* " in *" $name "*) ;; *) continue ;; esac
    fi
    n=$((n + 1))
    f="$scratch/$file"
    cp "$f" "$f.orig"
    hits=$(OLD="$old" perl -0ne '$o = $ENV{OLD}; $o =~ s/\@NL\@/\n/g; print scalar(() = /\Q$o\E/g)' "$f")
    if [ "$hits" != 1 ]; then
        echo "NOT APPLIED  $name ($file: the text is found $hits times)"; bad=$((bad + 1)); continue
    fi
    OLD="$old" NEW="$new" perl -0pi -e '$o = $ENV{OLD}; $w = $ENV{NEW}; s/\@NL\@/\n/g for $o, $w; s/\Q$o\E/$w/' "$f"
    if ! make -C "$scratch" -j1 all units < /dev/null > "$log" 2>&1; then
        echo "NOT BUILT    $name ($file)"; bad=$((bad + 1))
    elif run_tests $tests; then
        echo "SURVIVED     $name ($file; $tests pass)"; bad=$((bad + 1))
    else
        echo "killed       $name ($file; by $tests)"; killed=$((killed + 1))
    fi
    cp "$f.orig" "$f"; rm -f "$f.orig"
done < "$scratch/list"
make -C "$scratch" -j1 all units > "$log" 2>&1
echo "mutants: $n applied one at a time, $killed killed, $bad survived or not applied"
[ "$bad" -eq 0 ]
