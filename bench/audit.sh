#!/usr/bin/env bash
# Audit write throughput (JSONL sink, PostgreSQL copy) and the cost of recording an event on the
# request path. Needs target/modelguard.jar and, for the PostgreSQL rows, a database:
#   bench/audit.sh [POSTGRES_URL]   (default postgresql://postgres@127.0.0.1:5432/test)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/modelguard.jar ] || mvn -B -q package -DskipTests
exec java -Xmx1g -cp target/modelguard.jar bench/AuditBench.java "$@"
