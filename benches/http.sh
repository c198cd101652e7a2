#!/usr/bin/env bash
# HTTP load with wrk against the release binary on 127.0.0.1: GET /login (a Tera page behind the
# CSRF cookie) against the bare /livez, and the server's peak memory (VmHWM). Uses SQLite in a
# temporary directory, or PostgreSQL when DATABASE_URL is set. Bounded: two 10 s runs each.
# LOG_LEVEL (default critical: one line per request) and LOG_FORMAT (text, json) as the service's.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
cargo build --release --quiet
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
data=$(mktemp -d)
port=${PORT:-8190}
# The release default (`critical`) writes one line per request, as in production; LOG_LEVEL=off
# measures without them, LOG_FORMAT=json the shippers' format. The log goes to a file.
ROCKET_DATA_DIR="$data" ROCKET_PORT="$port" ROCKET_LOG_LEVEL="${LOG_LEVEL:-critical}" \
  ROCKET_LOG_FORMAT="${LOG_FORMAT:-text}" "$target/release/outcomes" >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

rate() { # path -> requests/s and p99 (ms)
  wrk -t2 -c64 -d10s --latency "http://127.0.0.1:$port$1" |
    awk '/Requests\/sec/ { r = $2 } / 99%/ { p = $2 } END { print r, p }'
}
read -r bare bare_p99 < <(rate /livez)
read -r login login_p99 < <(rate /login)
peak=$(awk '/VmHWM/ { print $2 / 1024 " MB" }' "/proc/$pid/status")
backend=${DATABASE_URL:+PostgreSQL}
echo "| ${backend:-SQLite} | GET /livez | ${bare} req/s | p99 ${bare_p99} |"
echo "| ${backend:-SQLite} | GET /login | ${login} req/s | p99 ${login_p99} |"
echo "| ${backend:-SQLite} | ratio /login : /livez | $(python3 -c "print(f'{100 * $login / $bare:.0f} %')") | |"
echo "| ${backend:-SQLite} | server peak memory (VmHWM) | ${peak} | |"
echo "| ${backend:-SQLite} | log (${LOG_LEVEL:-critical}, ${LOG_FORMAT:-text}) | $(wc -l <"$data/server.log") lines | |"
