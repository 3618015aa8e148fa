#!/usr/bin/env bash
# Installs what the cockpit's browser tests need, when it is missing: Debian's Chromium
# (package chromium), a Chinese font for the screenshots (fonts-noto-cjk), Node.js, and the
# test's npm packages (playwright-core drives that Chromium; no browser is downloaded).
# tests/cockpit.rs runs it before the browser test.
set -euo pipefail
cd "$(dirname "$0")"

packages=()
command -v chromium >/dev/null || packages+=(chromium)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
[ -n "$(fc-list :lang=zh 2>/dev/null)" ] || packages+=(fonts-noto-cjk)
if [ "${#packages[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo -n"
    echo "installing ${packages[*]} (Debian packages)" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q "${packages[@]}" >&2 ||
        { $sudo apt-get update -q >&2 && $sudo apt-get install -y -q "${packages[@]}" >&2; } || {
        echo "could not install ${packages[*]}: install them (apt-get install ${packages[*]}) and run the tests again" >&2
        exit 1
    }
fi
if ! node -e "require.resolve('playwright-core'); import('read-excel-file/node')" 2>/dev/null; then
    npm ci --no-audit --no-fund --loglevel=error >&2
fi
