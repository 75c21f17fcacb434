#!/bin/sh
# The layering rule of lib/README.md, checked over the sources' #include lines:
#   core includes only core; an engine includes core and itself; cmd/ includes anything;
#   no two lib modules (x.c + x.h; a private x_impl.h belongs to x) depend on each other in a
#   circle, neither by their includes nor by the functions they call (read with nm from the
#   object files in OBJDIR, the first argument, when given).
# Prints one line per violation and exits 1 if there is any. Run from the checkout's root.
set -u
bad=0
edges=$(mktemp); trap 'rm -f "$edges"' EXIT
for f in lib/*/*.c lib/*/*.h; do
    room=${f#lib/}; room=${room%%/*}
    mod="$room/$(basename "${f%.*}")"
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r l; do
        n=${l%%:*}; inc=${l#*\"}; inc=${inc%%\"*}
        case "$inc" in
            */*) troom=${inc%%/*} ;;
            *) troom=$room ;;
        esac
        [ -f "lib/$troom/$(basename "$inc")" ] || { echo "$f:$n: includes \"$inc\", which is not in lib/$troom/"; exit 1; }
        if [ "$room" = core ] && [ "$troom" != core ]; then
            echo "$f:$n: core includes \"$inc\" (core includes only core)"; exit 1
        fi
        if [ "$room" != core ] && [ "$troom" != core ] && [ "$troom" != "$room" ]; then
            echo "$f:$n: $room includes \"$inc\" (an engine includes core and itself only)"; exit 1
        fi
        tmod="$troom/$(basename "${inc%.*}")"; tmod=${tmod%_impl}; mod=${mod%_impl}
        [ "$tmod" = "$mod" ] || echo "$mod $tmod" >> "$edges"
    done || bad=1
done
if ! tsort "$edges" > /dev/null 2> "$edges.err"; then
    echo "include circle between lib modules:"; grep -v 'input contains a loop' "$edges.err" | sed 's/^tsort: /  /'
    bad=1
fi
# calls: a module uses (nm -u) a symbol another module defines
objdir=${1:-}
if [ -n "$objdir" ]; then
    : > "$edges"; defs=$(mktemp); uses=$(mktemp)
    for o in "$objdir"/*/*.o; do
        m=${o#"$objdir"/}; m=${m%.o}
        nm -g --defined-only "$o" | awk -v m="$m" 'NF == 3 {print $3, m}' >> "$defs"
        nm -u "$o" | awk -v m="$m" '{print $NF, m}' >> "$uses"
    done
    sort -o "$defs" "$defs"; sort -o "$uses" "$uses"
    join "$uses" "$defs" | awk '$2 != $3 {print $2, $3}' | sort -u > "$edges"
    if ! tsort "$edges" > /dev/null 2> "$edges.err"; then
        echo "call circle between lib modules (nm):"; grep -v 'input contains a loop' "$edges.err" | sed 's/^tsort: /  /'
        bad=1
    fi
    rm -f "$defs" "$uses"
fi
rm -f "$edges.err"
exit $bad
