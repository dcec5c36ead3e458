#!/usr/bin/env bash
# Installs the toolchains that build the api-key example plugin in C, JavaScript and Python
# (Rust needs only `rustup target add wasm32-wasip2`). Idempotent: a tool already present
# at the pinned version is not reinstalled. Run by ./scripts/test.sh before the tests.
#
#   C           clang + lld + wasi-libc + compiler-rt for wasm32 (Debian packages)
#   JavaScript  @bytecodealliance/jco (npm, pinned by example-plugins/polyglot/js/package-lock.json)
#   Python      componentize-py (PyPI) in ./.venv
set -euo pipefail
cd "$(dirname "$0")/.."
COMPONENTIZE_PY='componentize-py==0.25.1'
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# C: clang/lld 14 and the wasm32-wasi sysroot.
if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null || [ ! -f /usr/lib/wasm32-wasi/libc.a ] \
   || ! ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1; then
  echo "setup-toolchains: installing clang, lld, wasi-libc (apt)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang lld wasi-libc libclang-rt-dev-wasm32 >/dev/null
fi

# JavaScript: jco (its QuickJS backend builds the component).
if [ ! -x example-plugins/polyglot/js/node_modules/.bin/jco ]; then
  echo "setup-toolchains: installing jco (npm ci)" >&2
  (cd example-plugins/polyglot/js && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# Python: componentize-py in the project venv (created by setup-python.sh).
[ -x .venv/bin/python ] || python3 -m venv .venv
if ! .venv/bin/componentize-py --version 2>/dev/null | grep -q "${COMPONENTIZE_PY#*==}"; then
  echo "setup-toolchains: installing $COMPONENTIZE_PY (pip)" >&2
  .venv/bin/pip install --quiet "$COMPONENTIZE_PY"
fi
