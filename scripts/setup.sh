#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (with the Swift 6 toolchain already on PATH) to build,
# demo and test mezhved. Idempotent: it only installs what is missing.
#
#   scripts/setup.sh               # system packages + the interop Python venv (.venv-interop/)
#   scripts/setup.sh --no-python   # system packages only
#   scripts/setup.sh --bench       # also the benchmark peers (python3-xmlsec, python3-lxml)
#
# System packages come from apt: as root directly, otherwise through sudo.
# Exits non-zero with a message on any failure.
set -euo pipefail

APT_PACKAGES=(
    libssl-dev             # OpenSSL 3 headers (COpenSSL)
    libxml2-dev            # libxml2 headers (CLibXML2)
    libengine-gost-openssl # OpenSSL's GOST engine: GOST R 34.10-2012 keys, signatures, certificates
    openssl                # the openssl command: the test TSA (ts -reply), OCSP responder (ocsp -port), GOST interop
    xmlsec1                # independent XMLDSig peer for the RSA/ECDSA interop tests
    libxml2-utils          # xmllint
    pkg-config             # finds libxml-2.0 and openssl for SwiftPM
    python3                # the independent GOST XMLDSig peer (Tests/Interop)
    python3-venv
    curl                   # the HTTP client of the exchange server's tests (Tests/MezhvedServerTests)
    chromium               # the web pages' browser test and screenshots (Tests/Browser, scripts/ui-screenshots.sh)
    chromium-driver        # chromedriver, which python3-selenium drives
    python3-selenium       # the browser test's driver (the system python3, /usr/bin/python3)
    postgresql             # the PostgreSQL store's tests: a throwaway cluster on loopback (scripts/postgres.sh)
)
readonly VENV=.venv-interop
readonly REQUIREMENTS=Tests/Interop/requirements.txt

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'setup: %s\n' "$*"; }
die() {
    printf 'setup: error: %s\n' "$*" >&2
    exit 1
}

with_python=1
for arg in "$@"; do
    case "$arg" in
        --no-python) with_python=0 ;;
        --bench) APT_PACKAGES+=(python3-xmlsec python3-lxml) ;; # libxmlsec1 in-process, for scripts/bench.sh
        -h | --help)
            sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown option $arg (known: --no-python, --bench, --help)" ;;
    esac
done

# --- Swift ---------------------------------------------------------------------------------
if ! command -v swift >/dev/null 2>&1; then
    die "swift is not on PATH: install the Swift 6 toolchain from swift.org (https://www.swift.org/install/linux/) and put its usr/bin on PATH"
fi

# --- apt packages --------------------------------------------------------------------------
missing=()
for package in "${APT_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    install_command="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        die "missing apt packages: ${missing[*]}; not root and sudo is not available. As root, run:
    $install_command"
    fi
    say "installing apt packages: ${missing[*]}${as_root:+ (through sudo)}"
    "${as_root[@]}" apt-get update ||
        die "apt-get update failed. Run as root: $install_command"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
        die "apt-get install failed. Run as root: $install_command"
else
    say "apt packages present: ${APT_PACKAGES[*]}"
fi

# --- the GOST engine -----------------------------------------------------------------------
if ! engine_report=$(openssl engine gost -t 2>&1) || ! grep -q '\[ available \]' <<<"$engine_report"; then
    die "OpenSSL's GOST engine does not load (\`openssl engine gost -t\` says: $(tr '\n' ' ' <<<"$engine_report"))
    check that libengine-gost-openssl is installed and that OPENSSL_CONF / OPENSSL_ENGINES do not point elsewhere"
fi
say "OpenSSL GOST engine: available ($(openssl version))"

# --- the interop Python venv ---------------------------------------------------------------
if [ "$with_python" -eq 1 ] && [ -f "$REQUIREMENTS" ]; then
    command -v python3 >/dev/null 2>&1 || die "python3 is not on PATH"
    wanted=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
    stamp="$VENV/.requirements.sha256"
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] &&
        "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
        say "Python venv $VENV is up to date with $REQUIREMENTS"
    else
        if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
            say "creating the Python venv $VENV ($(python3 --version 2>&1))"
            rm -rf "$VENV"
            python3 -m venv "$VENV" || die "python3 -m venv $VENV failed (on Debian: apt-get install python3-venv)"
        fi
        say "installing $REQUIREMENTS into $VENV: $(grep -v '^\s*#' "$REQUIREMENTS" | xargs)"
        "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -r "$REQUIREMENTS" ||
            die "pip install -r $REQUIREMENTS into $VENV failed (is PyPI reachable?)"
        printf '%s\n' "$wanted" >"$stamp"
    fi
elif [ "$with_python" -eq 1 ]; then
    say "no $REQUIREMENTS: skipping the Python venv"
fi

say "ready"
