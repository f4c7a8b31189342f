#!/usr/bin/env bash
# The web page's tests (./test's last step): builds web/dist/duizhang.html
# (web/build.sh), then drives it in Debian's Chromium through playwright-core
# (web/test/run.mjs) against the CLI at $DUIZHANG_BIN.
#
# What is missing is installed: the wasm target and wasm-bindgen-cli (by
# build.sh), Chromium and Node.js with apt-get (as root, or through sudo),
# playwright-core with npm. When an install fails the step is skipped,
# saying which and why; any other failure fails it.
set -euo pipefail
cd "$(dirname "$0")"

note() { printf 'test: web: %s\n' "$*" >&2; }
skip() {
  note "SKIPPED: $*"
  exit 0
}

cli=${DUIZHANG_BIN:-$PWD/../target/debug/duizhang}
[ -x "$cli" ] || { note "no CLI at $cli to compare with (build it first: cargo build)"; exit 1; }

if ! ./build.sh --check; then
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown || skip "the wasm32-unknown-unknown target cannot be installed (rustup target add wasm32-unknown-unknown)"
  fi
  version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  if ! command -v wasm-bindgen >/dev/null 2>&1 || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$version" ]; then
    note "installing wasm-bindgen-cli $version (cargo install: once, a few minutes)"
    cargo install wasm-bindgen-cli --version "$version" --locked \
      || cargo install wasm-bindgen-cli --version "$version" \
      || skip "wasm-bindgen-cli $version cannot be installed from crates.io"
  fi
fi
DUIZHANG_WEB_NO_INSTALL=1 ./build.sh

sudo=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null
}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
  note "installing Debian's chromium with apt-get"
  apt_install chromium || skip "Chromium cannot be installed (apt-get install chromium)"
  chromium=$(command -v chromium)
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  note "installing Node.js and npm with apt-get"
  apt_install nodejs npm || skip "Node.js cannot be installed (apt-get install nodejs npm)"
fi
if [ ! -d test/node_modules/playwright-core ]; then
  note "installing playwright-core with npm (the library only: no browser is downloaded)"
  (cd test && npm ci --no-audit --no-fund --ignore-scripts) || skip "playwright-core cannot be installed (npm ci in web/test)"
fi
note "driving web/dist/duizhang.html in $chromium"
node test/run.mjs --cli "$cli" --chromium "$chromium"
