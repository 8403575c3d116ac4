#!/usr/bin/env bash
# What the tests need besides node_modules: python3 (the simulator's PTY relay), gammu
# (the interoperability tests drive it against the simulator) and Debian's chromium (the web
# panel's browser tests drive it with playwright-core; a browser download is not used).
# Run by `npm test` first.
# Installs them with apt when it can (root on Debian/Ubuntu); otherwise stops at once with
# the exact command to run, rather than a wall of failing tests.
set -euo pipefail

missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v gammu >/dev/null 2>&1 || missing+=(gammu)
[ -x "${SIMGATE_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "the tests need: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing with apt-get: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "install them first, then run npm test again:" >&2
if command -v apt-get >/dev/null 2>&1; then
  echo "  sudo apt-get install -y ${missing[*]}" >&2
elif command -v dnf >/dev/null 2>&1; then
  echo "  sudo dnf install -y ${missing[*]}" >&2
else
  echo "  (with your system's package manager) ${missing[*]}" >&2
fi
exit 1
