#!/usr/bin/env bash
# Runs sdk.test.mjs against the real gateway jar: starts the mock LLM and the gateway on free
# loopback ports, installs the pinned SDKs (npm ci), runs node's test runner, stops both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
jar="$root/target/modelguard.jar"
[ -f "$jar" ] || { echo "run.sh: $jar is missing: run mvn -B verify first" >&2; exit 2; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
mock_port=$(free_port); gw_port=$(free_port)
cat > "$work/gateway.yaml" <<YAML
listen: {host: 127.0.0.1, port: $gw_port}
policies: $root/policies
guard_models: [$root/guard-models]
audit: {path: $work/audit.jsonl}
upstreams:
  mock: {url: "http://127.0.0.1:$mock_port"}
routes:
  - {path: /v1, upstream: mock, policy: default}
  - {path: /strict/v1, upstream: mock, policy: strict, strip_prefix: /strict}
YAML
java -jar "$jar" mock-llm --port "$mock_port" > "$work/mock.log" 2>&1 & pids+=($!)
java -jar "$jar" serve --config "$work/gateway.yaml" > "$work/gateway.log" 2>&1 & pids+=($!)
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$gw_port/health/ready" >/dev/null && curl -sf "http://127.0.0.1:$mock_port/v1/models" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$gw_port/health/ready" >/dev/null || { cat "$work/gateway.log" >&2; exit 1; }
cd "$here"
npm ci --no-audit --no-fund --silent
MODELGUARD_URL="http://127.0.0.1:$gw_port" node --test sdk.test.mjs
