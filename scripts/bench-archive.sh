#!/usr/bin/env bash
# The archive benchmark for docs/benchmarks.md ("Archive"): durable number allocations, documents
# archived, log replay and documents audited per second (both cores), with peak memory, for
# archives of 10,000 and 100,000 documents.
#
#   scripts/bench-archive.sh                 # 10,000 and 100,000 documents (~15 minutes here)
#   SIZES="1000 10000" scripts/bench-archive.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sizes=${SIZES:-"10000 100000"}
build_path=${MEZHVED_BUILD_PATH:-.build}
work=${BENCH_DIR:-$(mktemp -d)}

swift build -c release --scratch-path "$build_path" >/dev/null
bin="$build_path/release/mezhved"

echo "- $(uname -srm), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "- file system of the archive: $(df -T "$work" | awk 'NR==2 {print $2 " on " $1}')"
echo "- $(swift --version 2>&1 | head -n 1); $(openssl version)"
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| documents | log entries | allocations/s (durable) | archived/s (durable, 2 threads) | wall s (incl. signing) | replay s | audited/s signed-info-only (2 cores) | audited/s full (2 cores) | peak MB after archiving | peak MB | max RSS MB (time -v) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in $sizes; do
    rm -rf "$work/archive-$n"
    row=$(/usr/bin/time -v -o "$work/time-$n.txt" "$bin" archive bench --folder "$work/archive-$n" --documents "$n" --numbers 2000 --markdown)
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/time-$n.txt")
    echo "${row% |} | $rss |"
    rm -rf "$work/archive-$n"
done
