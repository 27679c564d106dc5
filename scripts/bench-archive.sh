#!/usr/bin/env bash
# The archive benchmark for docs/benchmarks.md ("Archive"): durable number allocations and
# registrations per second with 16 writers, one fsync each beside group commit in the same run,
# log replay and documents audited per second (both cores), with peak memory, for archives of
# 10,000 and 100,000 documents (MODES must end with group-syncfs, whose archive is audited).
#
#   scripts/bench-archive.sh                 # 10,000 and 100,000 documents (~15 minutes here)
#   SIZES="1000 10000" scripts/bench-archive.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sizes=${SIZES:-"10000 100000"}
writers=${WRITERS:-16}
modes=${MODES:-single,group,group-syncfs}
build_path=${MEZHVED_BUILD_PATH:-.build}
work=${BENCH_DIR:-$(mktemp -d)}

swift build -c release --static-swift-stdlib --scratch-path "$build_path" >/dev/null
bin="$build_path/release/mezhved"

echo "- $(uname -srm), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "- file system of the archive: $(df -T "$work" | awk 'NR==2 {print $2 " on " $1}')"
echo "- $(swift --version 2>&1 | head -n 1); $(openssl version)"
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "In one process (\`mezhved archive bench --writers $writers\`; single = one commit and fsync per operation, group = group commit):"
echo
echo "| mode | writers | documents | allocations/s (durable, median) | registrations/s (durable, median) | registrations/s per round (min–max) | lines per commit | replay s | audited/s signed-info-only (2 cores) | audited/s full (2 cores) | peak MB | registrations vs single |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
rows=()
for n in $sizes; do
    rm -rf "$work/archive-$n"
    echo "$("$bin" archive bench --folder "$work/archive-$n" --documents "$n" --writers "$writers" --modes "$modes" --data-key-out "$work/key-$n" --markdown)"
    # The audit as an auditor runs it: one process, the command line, timed by /usr/bin/time.
    audit() {
        /usr/bin/time -v -o "$work/time.txt" "$bin" archive audit --archive "$work/archive-$n/group-syncfs" --trust Certificates/trust/gost \
            --gateway-cert Certificates/agencies/social-protection/cert.pem "$@" >/dev/null
        awk -F': ' -v n="$n" '/Elapsed \(wall clock\)/ {split($2, t, ":"); s = (length(t) == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2]}
            /Maximum resident set size/ {m = $2 / 1024} END {printf "%.1f | %.0f | %.0f", s, n / s, m}' "$work/time.txt"
    }
    rows+=("| $n | $(audit) | $(audit --data-key "$work/key-$n") |")
    rm -rf "$work/archive-$n" "$work/key-$n"
done
echo
echo "\`mezhved archive audit\` on the same archives (one process, both cores; wall s | documents/s | max RSS MB):"
echo
echo "| documents | signed-info-only: s | docs/s | MB | full (--data-key): s | docs/s | MB |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
