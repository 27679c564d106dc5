#!/usr/bin/env bash
# Sets up (scripts/setup.sh), checks formatting (swift format lint, config .swift-format), and runs
# the test suite. Extra arguments go to `swift test`:
#
#   scripts/test.sh
#   scripts/test.sh --filter NegativeTests
#
# The tests find the interop Python through MEZHVED_PYTHON (.venv-interop/bin/python), and the
# PostgreSQL store's tests a throwaway cluster on loopback (scripts/postgres.sh, started here) through
# MEZHVED_POSTGRES_URL and MEZHVED_POSTGRES_PASSWORD_FILE. With CI=true a cluster that cannot start
# fails the run; elsewhere the PostgreSQL tests then skip with a message (MEZHVED_POSTGRES=off: not started).
# MEZHVED_BUILD_PATH=DIR builds in DIR instead of .build.
# Lint problems are printed and the tests still run; the exit code is swift test's, or 1 when the
# tests pass but the lint failed (MEZHVED_FORMAT_LINT=warn: lint problems do not fail the run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

section() { printf '\n=== %s ===\n' "$*"; }

section "Set-up"
scripts/setup.sh

section "Format (swift format lint --strict, .swift-format)"
lint_status=0
if ! swift format --version >/dev/null 2>&1; then
    echo "test: swift format is not available in this toolchain (it ships with Swift 6)" >&2
    lint_status=1
elif swift format lint --strict --recursive Sources Tests Package.swift; then
    echo "format: clean"
else
    lint_status=1
    echo "format: problems above (fix with: swift format --in-place --recursive Sources Tests Package.swift)" >&2
fi

section "PostgreSQL (scripts/postgres.sh, 127.0.0.1 only)"
if [ -n "${MEZHVED_POSTGRES_URL:-}" ]; then
    echo "using MEZHVED_POSTGRES_URL=$MEZHVED_POSTGRES_URL"
elif [ "${MEZHVED_POSTGRES:-}" = off ]; then
    echo "not started (MEZHVED_POSTGRES=off): the PostgreSQL store's tests skip"
elif scripts/postgres.sh start; then
    while IFS= read -r assignment; do export "${assignment?}"; done < <(scripts/postgres.sh url)
    echo "MEZHVED_POSTGRES_URL=$MEZHVED_POSTGRES_URL"
elif [ "${CI:-}" = true ]; then
    echo "test: PostgreSQL could not be started for the tests (see above)" >&2
    exit 1
else
    echo "PostgreSQL could not be started: the PostgreSQL store's tests skip" >&2
fi

section "Fixed test ports (8089, 47931, 47932)"
# The test PKI names 127.0.0.1:47931 (OCSP) and :47932 (CRLs) and the web tests 8089: they are kept
# out of the kernel's ephemeral range, so that no client connection of the suite (a pooled
# PostgreSQL connection lasts its whole test) takes one as its source port and blocks the bind of
# the server that needs it ("exited before listening on 47932").
reserved_ports=/proc/sys/net/ipv4/ip_local_reserved_ports
if [ -w "$reserved_ports" ]; then
    current=$(cat "$reserved_ports")
    echo "${current:+$current,}8089,47931,47932" >"$reserved_ports" && echo "reserved from the ephemeral range: $(cat "$reserved_ports")"
else
    echo "not reserved (needs root): a client connection may, rarely, hold one of them as its source port"
fi

section "Tests (swift test $*)"
if [ -x .venv-interop/bin/python ]; then
    export MEZHVED_PYTHON="$PWD/.venv-interop/bin/python"
fi
test_options=()
[ -n "${MEZHVED_BUILD_PATH:-}" ] && test_options+=(--scratch-path "$MEZHVED_BUILD_PATH")
test_status=0
swift test "${test_options[@]}" "$@" || test_status=$?

section "Summary"
[ "$lint_status" -eq 0 ] && echo "format lint: passed" || echo "format lint: FAILED"
[ "$test_status" -eq 0 ] && echo "swift test: passed" || echo "swift test: FAILED (exit code $test_status)"
if [ "$test_status" -ne 0 ]; then
    exit "$test_status"
fi
if [ "$lint_status" -ne 0 ] && [ "${MEZHVED_FORMAT_LINT:-}" = warn ]; then
    echo "format lint failures do not fail the run (MEZHVED_FORMAT_LINT=warn)"
    exit 0
fi
exit "$lint_status"
