#!/bin/sh
# Installs the Debian packages named as arguments when some are missing: as root with apt-get,
# otherwise prints the one command to run.
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "deps: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
        echo "deps: apt-get install failed; run: apt-get install$missing" >&2; exit 1; }
else
    echo "deps: missing packages; run as root:" >&2
    echo "  sudo apt-get install$missing" >&2
    exit 1
fi
