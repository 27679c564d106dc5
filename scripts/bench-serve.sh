#!/usr/bin/env bash
# The load benchmark of `mezhved serve` (issue 16) for docs/benchmarks.md: a receiving gateway
# (employment) in a temporary folder takes GOST-signed requests pushed by social protection over
# mutual TLS on loopback — each verified, registered, archived durably and receipted before the
# answer — at a few concurrencies for a fixed time; beside it, in the same run, the receiving
# gateway's in-process qualified validation of the same documents (the server's cost is the ratio).
#
#   scripts/bench-serve.sh                 # load at CONCURRENCIES for SECONDS_PER_RUN each
#   scripts/bench-serve.sh --soak 10       # memory over a 10-minute soak (VmRSS sampled)
#   scripts/bench-serve.sh --large 40      # one ~40 MB signed answer (a scanned attachment): peak RSS
#   scripts/bench-serve.sh --stores        # the same documents into the filesystem store, one node on
#                                          # PostgreSQL and two nodes on one PostgreSQL (issue 19)
#
# Environment: CONCURRENCIES ("4 16 64"), SECONDS_PER_RUN (20), CORPUS (documents made; default
# enough for 1,500/s), WARM_UP (1000 documents), SOAK_CONCURRENCY (16), SOAK_RATE (requests/s in the soak, 0 = as fast as
# answered), SAMPLE_SECONDS (5), MEZHVED_BUILD_PATH (.build), MEZHVED_BIN (a mezhved binary to run
# instead of building one: an earlier build to compare with), BENCH_DIR (a temporary folder),
# KEEP=1 (keep BENCH_DIR); for --stores: STORES_CONCURRENCY (16), MEZHVED_POSTGRES_URL and
# MEZHVED_POSTGRES_PASSWORD_FILE (default: scripts/postgres.sh's cluster, started). The generator is scripts/bench_serve_load.py (asyncio + ssl); its own
# ceiling is measured against GET /health first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

mode=load
soak_minutes=0
large_mb=0
while [ $# -gt 0 ]; do
    case "$1" in
        --soak) mode=soak; soak_minutes=${2:?--soak needs MINUTES}; shift 2 ;;
        --large) mode=large; large_mb=${2:?--large needs MB}; shift 2 ;;
        --stores) mode=stores; shift ;;
        -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "bench-serve.sh: unknown argument $1 (give --soak MINUTES, --large MB, --stores or nothing)" >&2; exit 2 ;;
    esac
done

concurrencies=${CONCURRENCIES:-"4 16 64"}
seconds=${SECONDS_PER_RUN:-20}
soak_concurrency=${SOAK_CONCURRENCY:-16}
soak_rate=${SOAK_RATE:-0}
sample_seconds=${SAMPLE_SECONDS:-5}
build_path=${MEZHVED_BUILD_PATH:-.build}
work=${BENCH_DIR:-$(mktemp -d /tmp/mezhved-bench-serve.XXXXXX)}
mkdir -p "$work"
load_py="$root/scripts/bench_serve_load.py"
certs="$root/Certificates"

if [ -n "${MEZHVED_BIN:-}" ]; then
    bin=$MEZHVED_BIN  # another build of mezhved, to compare with (it must know `bench exchange-*`)
else
    swift build -c release --scratch-path "$build_path" >/dev/null
    bin="$root/$build_path/release/mezhved"
    [ -x "$bin" ] || bin="$build_path/release/mezhved"
fi

server_pid=""
extra_pids=()
# stop_server PID: TERM, up to 10 s to drain, then KILL.
stop_server() {
    kill -0 "$1" 2>/dev/null || return 0
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}
cleanup() {
    [ -n "$server_pid" ] && stop_server "$server_pid"
    for pid in "${extra_pids[@]}"; do stop_server "$pid"; done
    if [ "${KEEP:-0}" != 1 ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}
trap cleanup EXIT

# gateway AGENCY PEER [EXTRA-EXCHANGE-LINES [FOLDER]]: an archive (mezhved archive init) and a
# configuration serving mutual TLS on 127.0.0.1 (any free port), pinning PEER, as
# Tests/MezhvedServerTests' GatewayFolder makes them, in $work/FOLDER (default: AGENCY).
gateway() {
    local agency=$1 peer=$2 extra=${3:-} folder="$work/${4:-$1}"
    mkdir -p "$folder"
    "$bin" archive init --archive "$folder/archive" --agency "$agency" --incoming-format 'ВХ-{year}-{seq:06}' \
        --data-key "$folder/data.key" --new-data-key --gateway-cert "$certs/agencies/$agency/cert.pem" \
        --gateway-chain "$certs/gost/ca.pem" --gateway-key "$certs/agencies/$agency/key.pem" >/dev/null
    cat >"$folder/gateway.yaml" <<YAML
agency: $agency
archive:
  path: $folder/archive
  dataKey: $folder/data.key
  gatewayCertificate: $certs/agencies/$agency/cert.pem
signatories:
  - {id: head, key: $certs/agencies/$agency/key.pem, certificate: $certs/agencies/$agency/cert.pem, chain: $certs/gost/ca.pem}
trust: {anchors: [$certs/trust/gost], intermediates: [$certs/gost/ca.pem], crls: [$certs/gost/ca.crl.pem]}
policy: {offline: true}
documents: {calendarFallback: labour-code}
exchange:
  listen: 127.0.0.1:0
  spool: $folder/spool
  requestTimeout: 30s
  tls: {certificate: $certs/tls/$agency.crt, key: $certs/tls/$agency.key}
$extra  peers:
    - {agency: $peer, gatewayCertificate: $certs/agencies/$peer/cert.pem, tlsCertificate: $certs/tls/$peer.crt}
YAML
    chmod 600 "$folder/gateway.yaml"
}

# serve AGENCY [CONFIG]: starts `mezhved serve` of AGENCY's gateway (its gateway.yaml, or CONFIG in
# its folder); sets server_pid and port.
serve() {
    local folder="$work/$1" config=${2:-gateway.yaml}
    "$bin" serve --config "$folder/$config" >"$folder/$config.out" 2>"$folder/$config.err" &
    server_pid=$!
    for _ in $(seq 1 200); do
        port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$folder/$config.out" | head -n 1)
        [ -n "$port" ] && return 0
        kill -0 "$server_pid" 2>/dev/null || { echo "mezhved serve ended: $(tail -c 2000 "$folder/$config.err")" >&2; exit 1; }
        sleep 0.1
    done
    echo "mezhved serve printed no 'listening on' line within 20 s" >&2
    exit 1
}

field() { python3 -c 'import json, sys; v = json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"r": v}))' "$1" "$2"; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# push SENDER RECIPIENT FIRST ARGS…: the generator against the server (PORTS, default port) as
# SENDER's TLS client.
push() {
    local sender=$1 recipient=$2 first=$3
    shift 3
    python3 "$load_py" --port "${ports:-$port}" --cert "$certs/tls/$sender.crt" --key "$certs/tls/$sender.key" \
        --pin "$certs/tls/$recipient.crt" --sender "$sender" --recipient "$recipient" \
        --files-from "$work/corpus/list.txt" --first "$first" "$@"
}

echo "### Machine"
echo
echo "- $(uname -srm), $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "- archive and spool on $(df -T "$work" | awk 'NR==2 {print $2 " " $1}')"
echo "- $(swift --version 2>&1 | head -n 1); $(openssl version); $(python3 --version)"
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); load average before: $(loadavg)"
echo

if [ "$mode" = large ]; then
    # An answer from employment to social protection carrying one scanned document of about
    # large_mb MB as base64 (as bench.sh's 50 MB attachment), composed and signed at employment.
    gateway employment social-protection
    gateway social-protection employment "  maxDocumentSize: $((large_mb * 2 + 16))MiB
"
    python3 -c 'import os, sys; open(sys.argv[1], "wb").write(os.urandom(int(float(sys.argv[2]) * 1048576 * 3 / 4)))' \
        "$work/scan.pdf" "$large_mb"
    sed -n '/^registration:/d; /^#/d; /^provided:/q; p' Samples/forms/answer-unemployment-status.yaml >"$work/answer-large.yaml"
    cat >>"$work/answer-large.yaml" <<'YAML'
provided:
  - name: Скан-копия приказа о признании гражданина безработным
    file: scan.pdf
    mediaType: application/pdf
YAML
    sed -n '/^compiler:/,$p' Samples/forms/answer-unemployment-status.yaml >>"$work/answer-large.yaml"
    "$bin" bench exchange-corpus --gateway "$work/employment/gateway.yaml" --form "$work/answer-large.yaml" \
        --answer-to Samples/forms/request-unemployment-status.yaml --count 2 --output-dir "$work/corpus" >&2
    serve social-protection
    # Warm up with nothing large: the figure is the increase one large document causes.
    sleep 1
    echo "| document | body MB | RSS before MB | peak RSS (VmHWM) during MB | increase MB | increase / body | sampled max RSS MB | seconds | answer |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for n in 1 2; do
        file="$work/corpus/$(printf %07d "$n").xml"
        body_kb=$(( $(stat -c %s "$file") / 1024 ))
        echo 5 >"/proc/$server_pid/clear_refs" 2>/dev/null || true   # resets VmHWM to the current RSS
        before=$(status_kb "$server_pid" VmRSS)
        ( while kill -0 "$server_pid" 2>/dev/null; do status_kb "$server_pid" VmRSS; sleep 0.02; done ) >"$work/rss-$n.txt" &
        sampler=$!
        digest=$(openssl dgst -sha256 -binary "$file" | base64 -w0)
        start=$(date +%s%N)
        code=$(curl -sS --max-time 300 --cert "$certs/tls/employment.crt" --key "$certs/tls/employment.key" \
            --cacert "$certs/tls/social-protection.crt" -o "$work/receipt-$n.xml" -D "$work/headers-$n.txt" -w '%{http_code}' \
            -H 'Content-Type: application/xml' -H "Mezhved-Message-Id: large-$n-$(date +%s%N)" -H 'Mezhved-From: employment' \
            -H 'Mezhved-To: social-protection' -H "Mezhved-Expires: $(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)" \
            -H "Content-Digest: sha-256=:$digest:" --data-binary "@$file" "https://127.0.0.1:$port/exchange/v1/messages")
        elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
        sleep 0.2
        kill "$sampler" 2>/dev/null || true
        wait "$sampler" 2>/dev/null || true
        peak=$(status_kb "$server_pid" VmHWM)
        sampled=$(sort -n "$work/rss-$n.txt" | tail -n 1)
        answer="$code $(tr -d '\r' <"$work/headers-$n.txt" | awk -F': ' 'tolower($1) == "mezhved-receipt" {print $2}')"
        awk -v n="$n" -v b="$body_kb" -v r="$before" -v p="$peak" -v s="$sampled" -v t="$elapsed" -v a="$answer" 'BEGIN {
            printf "| large %d | %.1f | %.0f | %.0f | %.0f | %.2f× | %.0f | %.1f | %s |\n", n, b / 1024, r / 1024, p / 1024,
                (p - r) / 1024, (p - r) / b, s / 1024, t / 1000, a }'
    done
    echo
    echo "load average after: $(loadavg)"
    exit 0
fi

if [ "$mode" = stores ]; then
    # The same documents, in turn, into employment's gateway on each store: the filesystem (one
    # node), PostgreSQL with one node, PostgreSQL with two nodes (two processes, their own ports and
    # spools) sharing the connections round-robin. Each receiver has an archive of its own, so
    # every document is new to each.
    if [ -z "${MEZHVED_POSTGRES_URL:-}" ]; then
        scripts/postgres.sh start >&2
        while IFS= read -r assignment; do export "${assignment?}"; done < <(scripts/postgres.sh url)
    fi
    stores_concurrency=${STORES_CONCURRENCY:-16}
    warm_count=${WARM_UP:-500}
    gateway social-protection employment
    corpus=${CORPUS:-$(( warm_count + seconds * 700 ))}
    "$bin" bench exchange-corpus --gateway "$work/social-protection/gateway.yaml" --count "$corpus" \
        --output-dir "$work/corpus" >"$work/corpus.txt"
    echo "- documents: $(cat "$work/corpus.txt"); the same ones pushed into each receiver"
    echo "- PostgreSQL: $(psql --version | head -n 1) on this machine (shares its cores), ${MEZHVED_POSTGRES_URL%%\?*}"
    echo "- generator: \`scripts/bench_serve_load.py\`, warm-up $warm_count documents at concurrency 8, then ${seconds} s at concurrency $stores_concurrency"
    echo
    echo "| store | nodes | documents/s | p50 ms | p90 ms | p99 ms | max ms | not acknowledged | registered in the journal | load average |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    fs_rate=""
    for setup in filesystem:1 postgres:1 postgres:2; do
        store=${setup%%:*}
        nodes=${setup##*:}
        name="employment-$store-$nodes"
        gateway employment social-protection "" "$name"
        folder="$work/$name"
        if [ "$store" = postgres ]; then
            schema="bench_$(date +%s%N | tail -c 12)"
            password=()
            [ -n "${MEZHVED_POSTGRES_PASSWORD_FILE:-}" ] && password=(--password-file "$MEZHVED_POSTGRES_PASSWORD_FILE")
            "$bin" archive migrate --from fs --to postgres --gateway "$folder/gateway.yaml" --archive "$folder/archive" \
                --url "$MEZHVED_POSTGRES_URL" --schema "$schema" --data-key "$folder/data.key" "${password[@]}" >"$folder/migrate.txt"
            separator='?'
            case "$MEZHVED_POSTGRES_URL" in *'?'*) separator='&' ;; esac
            store_lines="  store: postgres
  url: '$MEZHVED_POSTGRES_URL${separator}schema=$schema'"
            [ -n "${MEZHVED_POSTGRES_PASSWORD_FILE:-}" ] && store_lines="$store_lines
  passwordFile: $MEZHVED_POSTGRES_PASSWORD_FILE"
            python3 -c 'import sys; p, old, new = sys.argv[1:]; t = open(p).read(); open(p, "w").write(t.replace(old + "\n", new + "\n", 1))' \
                "$folder/gateway.yaml" "  path: $folder/archive" "$store_lines"
            grep -q '^  store: postgres$' "$folder/gateway.yaml" || { echo "bench-serve.sh: the configuration was not pointed at PostgreSQL" >&2; exit 1; }
            mv "$folder/archive" "$folder/archive.moved-to-postgres"
        fi
        pids=()
        node_ports=()
        for node in $(seq 1 "$nodes"); do
            config=gateway.yaml
            if [ "$node" -gt 1 ]; then
                config="node-$node.yaml"
                sed "s|^  spool: $folder/spool\$|  spool: $folder/spool-$node|" "$folder/gateway.yaml" >"$folder/$config"
                chmod 600 "$folder/$config"
            fi
            serve "$name" "$config"
            pids+=("$server_pid")
            extra_pids+=("$server_pid")
            node_ports+=("$port")
            server_pid=""
        done
        ports=$(IFS=,; echo "${node_ports[*]}")
        warm=$(push social-protection employment 0 --concurrency 8 --duration 120 --count "$warm_count")
        first=$(field "$warm" 'r["documents_used"]')
        result=$(push social-protection employment "$first" --concurrency "$stores_concurrency" --duration "$seconds")
        for pid in "${pids[@]}"; do stop_server "$pid"; done
        ports=""
        registered=$("$bin" archive list --gateway "$folder/gateway.yaml" --direction incoming --kind request | wc -l)
        acknowledged=$(( $(field "$warm" 'r["acknowledged"]') + $(field "$result" 'r["acknowledged"]') ))
        rate=$(field "$result" 'r["per_second"]')
        [ -z "$fs_rate" ] && fs_rate=$rate
        others=$(field "$result" '{k: v for k, v in r["outcomes"].items() if k != "200 accepted"} or 0')
        printf '| %s | %s | %.0f (%.2f× the filesystem) | %s | %s | %s | %s | %s | %s (acknowledged %s) | %s |\n' "$store" "$nodes" "$rate" \
            "$(awk -v a="$rate" -v b="$fs_rate" 'BEGIN {print a / b}')" "$(field "$result" 'r["p50_ms"]')" \
            "$(field "$result" 'r["p90_ms"]')" "$(field "$result" 'r["p99_ms"]')" "$(field "$result" 'r["max_ms"]')" "$others" \
            "$registered" "$acknowledged" "$(loadavg)"
        if [ "$(field "$result" 'r["documents_ran_out"]')" = True ]; then echo "(the corpus ran out: give CORPUS larger than $corpus)"; fi
        if [ "$others" != 0 ]; then echo "examples: $(field "$result" 'r["examples"]')" | head -c 1500; echo; fi
    done
    echo
    echo "load average after: $(loadavg)"
    exit 0
fi

# Sender and receiver; the documents: distinct requests, each with its own registration number.
gateway social-protection employment
gateway employment social-protection
if [ "$mode" = soak ]; then
    rate_guess=${SOAK_RATE:-0}
    [ "$rate_guess" = 0 ] && rate_guess=1500
    corpus=${CORPUS:-$(( soak_minutes * 60 * rate_guess + 3000 ))}
else
    corpus=${CORPUS:-$(( ${WARM_UP:-1000} + 500 + $(echo "$concurrencies" | wc -w) * seconds * 1500 ))}
fi
"$bin" bench exchange-corpus --gateway "$work/social-protection/gateway.yaml" --count "$corpus" \
    --output-dir "$work/corpus" >"$work/corpus.txt"
echo "- documents: $(cat "$work/corpus.txt")"
serve employment
echo "- server: \`mezhved serve --config …/employment/gateway.yaml\` (pid $server_pid, port $port); generator: \`scripts/bench_serve_load.py\` (Python asyncio + ssl, one process)"

# The generator alone: GET /health over the same TLS connections (no document, no work).
health=$(python3 "$load_py" --port "$port" --cert "$certs/tls/social-protection.crt" --key "$certs/tls/social-protection.key" \
    --pin "$certs/tls/employment.crt" --health --concurrency 16 --duration 5)
echo "- generator's ceiling: GET /health at concurrency 16: $(field "$health" 'r["per_second"]')/s, p99 $(field "$health" 'r["p99_ms"]') ms, generator CPU $(field "$health" 'r["generator_cpu_us_per_request"]') µs a request"
# Warm-up: 1,000 documents (connections, caches, the journal's first group commits).
next=0
warm=$(push social-protection employment "$next" --concurrency 8 --duration 120 --count "${WARM_UP:-1000}")
warm_used=$(field "$warm" 'r["documents_used"]')
next=$((next + warm_used))
echo "- warm-up: $(field "$warm" 'r["acknowledged"]') acknowledged of $warm_used at concurrency 8 (outcomes $(field "$warm" 'r["outcomes"]'))" | head -c 600
echo

if [ "$mode" = soak ]; then
    echo "### Soak: $soak_minutes minutes at concurrency $soak_concurrency (rate limit: $soak_rate/s; VmRSS every ${sample_seconds}s)"
    echo
    samples="$work/rss.txt"
    start=$(date +%s)
    ( while kill -0 "$server_pid" 2>/dev/null; do
        echo "$(( $(date +%s) - start )) $(status_kb "$server_pid" VmRSS) $(cut -d' ' -f1 /proc/loadavg)"
        sleep "$sample_seconds"
    done ) >"$samples" &
    sampler=$!
    result=$(push social-protection employment "$next" --concurrency "$soak_concurrency" --duration $((soak_minutes * 60)) --rate "$soak_rate")
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    docs=$(field "$result" 'r["acknowledged"]')
    echo "- $docs documents acknowledged in $(field "$result" 'r["seconds"]') s ($(field "$result" 'r["per_second"]')/s), p50 $(field "$result" 'r["p50_ms"]') ms, p99 $(field "$result" 'r["p99_ms"]') ms; outcomes $(field "$result" 'r["outcomes"]'); ran out of documents: $(field "$result" 'r["documents_ran_out"]')"
    awk -v docs="$docs" 'NR == 1 {first = $2; t0 = $1} {last = $2; t = $1; if ($2 > max) max = $2; n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2}
        NR == int(NR / 1) && $1 >= 60 && !m1 {m1 = $2}
        END {
            slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)   # KB per second, least squares
            printf "- VmRSS: first %.0f MB, after 1 minute %.0f MB, last %.0f MB, max %.0f MB (%d samples); trend %.1f MB per minute, %.2f KB per document\n",
                first / 1024, m1 / 1024, last / 1024, max / 1024, n, slope * 60 / 1024, (last - first) / (docs > 0 ? docs : 1)
        }' "$samples"
    echo "- samples (seconds, VmRSS KB, load): $(awk 'NR % 12 == 1 {printf "%s:%d ", $1, $2 / 1024}' "$samples")"
    echo "- load average after: $(loadavg)"
    exit 0
fi

echo "### Load: ${seconds} s per concurrency, every answer checked (200, Mezhved-Receipt: accepted, not a duplicate)"
echo
echo "| concurrency | documents/s | p50 ms | p90 ms | p99 ms | max ms | not acknowledged | server CPU ms/document | generator CPU µs/request | server RSS MB | load average |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
hz=$(getconf CLK_TCK)
best=0
for c in $concurrencies; do
    ticks_before=$(cpu_ticks "$server_pid")
    result=$(push social-protection employment "$next" --concurrency "$c" --duration "$seconds")
    ticks_after=$(cpu_ticks "$server_pid")
    used=$(field "$result" 'r["documents_used"]')
    next=$((next + used))
    ok=$(field "$result" 'r["acknowledged"]')
    answered=$(field "$result" 'r["answered"]')
    rate=$(field "$result" 'r["per_second"]')
    others=$(field "$result" '{k: v for k, v in r["outcomes"].items() if k != "200 accepted"} or 0')
    awk -v c="$c" -v rate="$rate" -v p50="$(field "$result" 'r["p50_ms"]')" -v p90="$(field "$result" 'r["p90_ms"]')" \
        -v p99="$(field "$result" 'r["p99_ms"]')" -v mx="$(field "$result" 'r["max_ms"]')" -v others="$others" \
        -v cpu="$(( ticks_after - ticks_before ))" -v hz="$hz" -v n="$answered" -v gen="$(field "$result" 'r["generator_cpu_us_per_request"]')" \
        -v rss="$(status_kb "$server_pid" VmRSS)" -v load="$(loadavg)" 'BEGIN {
        printf "| %s | %.0f | %s | %s | %s | %s | %s | %.2f | %s | %.0f | %s |\n", c, rate, p50, p90, p99, mx, others,
            (n > 0 ? cpu / hz * 1000 / n : 0), gen, rss / 1024, load }'
    if [ "$(field "$result" 'r["documents_ran_out"]')" = True ]; then echo "(the corpus ran out: give CORPUS larger than $corpus)"; fi
    best=$(awk -v a="$best" -v b="$rate" 'BEGIN {print (b > a) ? b : a}')
    printf '%s\n' "$result" >>"$work/results.jsonl"
    if [ "$others" != 0 ]; then echo "examples: $(field "$result" 'r["examples"]')" | head -c 1500; echo; fi
done
echo
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
registered=$("$bin" archive list --archive "$work/employment/archive" | awk -F'\t' '$3 == "incoming" && $6 == "request"' | wc -l)
echo "- registered incoming requests in the receiver's journal: $registered (acknowledged: $(( $(awk -F'"acknowledged": ' '{split($2, a, ","); s += a[1]} END {print s}' "$work/results.jsonl") + $(field "$warm" 'r["acknowledged"]') )))"

# The in-process peer, same run, same documents: the receiving gateway's qualified validation.
verify=$("$bin" bench exchange-verify --gateway "$work/employment/gateway.yaml" --files-from "$work/corpus/list.txt" --duration 5)
one=$(echo "$verify" | sed -n 's/.*1 task: //p')
all=$(echo "$verify" | sed -n 's/.*[0-9] tasks: //p')
echo "- in process (\`mezhved bench exchange-verify\`): qualified validations/s, one task $one, $(nproc) tasks $all"
awk -v best="$best" -v all="$all" -v one="$one" 'BEGIN {
    printf "- best served rate %.0f documents/s = %.0f%% of the in-process validation rate on all cores (%.0f%% of one core'"'"'s)\n",
        best, 100 * best / all, 100 * best / one }'
# The whole incoming workflow in process (no HTTP, no TLS), same documents, into a gateway of its own.
gateway employment social-protection "" employment-in-process
received=$("$bin" bench exchange-receive --gateway "$work/employment-in-process/gateway.yaml" \
    --files-from "$work/corpus/list.txt" --concurrency "${RECEIVE_CONCURRENCY:-16}" --duration "$seconds")
echo "- $received (\`mezhved bench exchange-receive\`)"
inproc=$(echo "$received" | sed -n 's/.* \([0-9][0-9]*\)\/s at concurrency.*/\1/p')
awk -v best="$best" -v w="$inproc" 'BEGIN { printf "- best served rate = %.0f%% of the in-process workflow'"'"'s rate\n", 100 * best / w }'
echo "- load average after: $(loadavg)"
