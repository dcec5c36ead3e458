#!/usr/bin/env bash
# System packages the Rust build links against (idempotent): the system SQLite library
# (sqlx uses it instead of compiling a bundled copy), pkg-config to find it, and libclang,
# which libsqlite3-sys's build-time bindgen (sqlx's `sqlite-unbundled`) loads.
set -euo pipefail
missing=()
for pkg in libsqlite3-dev pkg-config libclang-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "missing packages: ${missing[*]} (install them with apt-get as root)" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
