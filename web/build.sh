#!/usr/bin/env bash
# Builds the page: web/dist/duizhang.html, one self-contained file (the
# engine as WebAssembly, the worker and the page's script all inlined).
#
#   web/build.sh            build (installing what is missing, see below)
#   web/build.sh --check    only say whether the tools are there (exit 0/1)
#
# Needs: rustup's wasm32-unknown-unknown target, wasm-bindgen-cli at the
# version web/Cargo.lock holds (installed from crates.io with cargo when
# missing; no downloaded binaries), and python3. Set
# DUIZHANG_WEB_NO_INSTALL=1 to fail instead of installing.
set -euo pipefail
cd "$(dirname "$0")"

note() { printf 'web/build.sh: %s\n' "$*" >&2; }

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$version" ]; then
  note "web/Cargo.lock names no wasm-bindgen version"
  exit 1
fi

have_target() { rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; }
have_bindgen() { command -v wasm-bindgen >/dev/null 2>&1 && [ "$(wasm-bindgen --version | awk '{print $2}')" = "$version" ]; }

if [ "${1:-}" = --check ]; then
  have_target && have_bindgen && command -v python3 >/dev/null
  exit $?
fi

if ! have_target; then
  [ -n "${DUIZHANG_WEB_NO_INSTALL:-}" ] && { note "the wasm32-unknown-unknown target is missing"; exit 1; }
  note "installing the wasm32-unknown-unknown target (rustup target add)"
  rustup target add wasm32-unknown-unknown
fi
if ! have_bindgen; then
  [ -n "${DUIZHANG_WEB_NO_INSTALL:-}" ] && { note "wasm-bindgen-cli $version is missing"; exit 1; }
  note "installing wasm-bindgen-cli $version (cargo install; a few minutes, once)"
  # --locked first; a registry mirror without one of its locked
  # dependencies' versions gets a fresh resolve instead.
  cargo install wasm-bindgen-cli --version "$version" --locked \
    || cargo install wasm-bindgen-cli --version "$version"
fi

note "building the engine for wasm32-unknown-unknown (release)"
# web/target whatever CARGO_TARGET_DIR says (a CI that sets it for the
# crate's own build would otherwise send the module elsewhere, and the
# steps below read it from here).
cargo build --locked --release --target wasm32-unknown-unknown --target-dir target
rm -rf target/bindgen
wasm-bindgen --target no-modules --no-typescript --out-dir target/bindgen \
  target/wasm32-unknown-unknown/release/duizhang_web.wasm
python3 assemble.py target/bindgen/duizhang_web.js target/bindgen/duizhang_web_bg.wasm dist/duizhang.html
