#!/usr/bin/env bash
# Latency the gateway adds over calling the same upstream directly (issue 2 target: p50 < 1 ms,
# p99 < 5 ms added, rule guards only). Starts the built-in mock LLM and the gateway from
# target/modelguard.jar, drives both with wrk at concurrency 1 and 16, prints a table.
#   bench/latency.sh [DURATION_SECONDS]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-20}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 2; }
[ -f target/modelguard.jar ] || mvn -B -q package -DskipTests
MOCK_PORT=19100; GW_PORT=19101
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
sed -e "s/@MOCK_PORT@/$MOCK_PORT/" -e "s/@GW_PORT@/$GW_PORT/" -e "s#@BENCH@#$PWD/bench#" bench/gateway.yaml.in > "$work/gateway.yaml"
java -jar target/modelguard.jar mock-llm --port $MOCK_PORT > "$work/mock.log" 2>&1 &
java ${GATEWAY_JAVA_OPTS:-} -jar target/modelguard.jar serve --config "$work/gateway.yaml" > "$work/gw.log" 2>&1 &
for i in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$GW_PORT/health/ready" >/dev/null && curl -sf "http://127.0.0.1:$MOCK_PORT/v1/models" >/dev/null && break
  sleep 0.2
done
run() { # url connections -> "p50 p99 rps"
  wrk -t1 -c"$2" -d"${DURATION}s" --latency -s bench/chat.lua "$1" \
    | awk '/^ +50%/{p50=$2} /^ +99%/{p99=$2} /^Requests\/sec/{rps=$2} END{print p50, p99, rps}'
}
ms() { # wrk duration (e.g. 512.00us, 1.20ms, 2.00s) -> milliseconds
  awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v+0} else {sub(/s$/,"",v); print v*1000} }'
}
# Warm up the JIT on both paths before measuring.
wrk -t1 -c4 -d5s -s bench/chat.lua "http://127.0.0.1:$GW_PORT/v1/chat/completions" >/dev/null
printf "%-4s %-8s %10s %10s %10s\n" conc path p50_ms p99_ms req_s
for c in 1 16; do
  read -r dp50 dp99 drps < <(run "http://127.0.0.1:$MOCK_PORT/v1/chat/completions" $c)
  read -r gp50 gp99 grps < <(run "http://127.0.0.1:$GW_PORT/v1/chat/completions" $c)
  printf "%-4s %-8s %10s %10s %10s\n" $c direct "$(ms $dp50)" "$(ms $dp99)" "$drps"
  printf "%-4s %-8s %10s %10s %10s\n" $c gateway "$(ms $gp50)" "$(ms $gp99)" "$grps"
  printf "%-4s %-8s %10.3f %10.3f\n" $c added "$(echo "$(ms $gp50) - $(ms $dp50)" | bc -l)" "$(echo "$(ms $gp99) - $(ms $dp99)" | bc -l)"
done
