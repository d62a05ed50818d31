#!/bin/sh
# Installs the graphviz `dot` binary when it is missing (Debian/Ubuntu apt or macOS brew).
# Without it chainrule still writes DOT source; pictures need `dot`.
command -v dot >/dev/null 2>&1 && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
if command -v apt-get >/dev/null 2>&1; then
    echo "installing graphviz (dot) with apt-get"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq graphviz >/dev/null \
        && exit 0
elif command -v brew >/dev/null 2>&1; then
    brew install graphviz && exit 0
fi
echo "warning: could not install graphviz; install the 'dot' binary for graph pictures" >&2
exit 0
