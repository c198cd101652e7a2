#!/usr/bin/env bash
# Streaming exports at agency scale (issue 17): fills a practice with `outcomes demo --clients N`
# (default 100,000: about 2,000,000 ratings), then, against the release binary on 127.0.0.1,
# downloads `/export.csv` and `/audit.csv` with curl as the demo owner and reports each one's time
# to first byte, total time and size, and the server's peak RSS (VmHWM from /proc) before and
# after. SQLite in a temporary directory, or PostgreSQL when DATABASE_URL is set (the database
# must be empty or disposable: the demo adds a practice to it).
#
#   benches/export.sh                      # SQLite, 100,000 clients
#   CLIENTS=10000 benches/export.sh        # smaller
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/export_bench benches/export.sh
#   AUDIT_ROWS=5000000 benches/export.sh   # and that many audit events for /audit.csv
#                                          # (written with sqlite3 or psql, one statement)
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${CLIENTS:-100000}
[ "${SKIP_BUILD:-}" ] || cargo build --release --quiet
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="${BIN:-$target/release/outcomes}"
data=$(mktemp -d)
port=${PORT:-8191}
jar="$data/cookies"
export ROCKET_DATA_DIR="$data" ROCKET_PORT="$port" ROCKET_LOG_LEVEL=${ROCKET_LOG_LEVEL:-critical}
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
pid=

start=$(date +%s.%N)
summary=$("$bin" demo --clients "$clients")
end=$(date +%s.%N)
echo "$summary"
echo "demo --clients $clients: $(python3 -c "print(f'{$end - $start:.1f}')") s wall"
owner=$(sed -n 's/.*Sign in as \([^ ]*\) .*/\1/p' <<<"$summary")
password=$(sed -n 's/.*with the password "\(.*\)"\..*/\1/p' <<<"$summary")

audit_rows=${AUDIT_ROWS:-0}
if [ "$audit_rows" -gt 0 ]; then
  # Events ten a second into the past, straight into the table in one statement.
  insert="INSERT INTO audit_log (at, account_id, actor_id, action, subject, ip, outcome)
    SELECT $(date +%s) - 60 - n / 10, u.account_id, u.id,
           CASE n % 3 WHEN 0 THEN 'client.viewed' WHEN 1 THEN 'rating.recorded' ELSE 'login.succeeded' END,
           'client ' || (n % 50), '127.0.0.1', 'success'
    FROM users u, numbers WHERE u.login = '$owner'"
  start=$(date +%s.%N)
  if [ "${DATABASE_URL:-}" ]; then
    psql -q "$DATABASE_URL" -c "WITH numbers AS (SELECT generate_series(1, $audit_rows) AS n) $insert"
  else
    sqlite3 "$data/outcomes.sqlite" "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < $audit_rows) $insert"
  fi
  end=$(date +%s.%N)
  echo "$audit_rows audit events added in $(python3 -c "print(f'{$end - $start:.1f}')") s"
fi

"$bin" serve &
pid=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"
token=$(curl -fs -c "$jar" -b "$jar" "$base/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" \
  --data-urlencode "user_id=$owner" --data-urlencode "password=$password" "$base/login"
hwm() { awk '/VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$pid/status"; }
rss() { awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$pid/status"; }
backend=${DATABASE_URL:+PostgreSQL}
backend=${backend:-SQLite}
echo "| $backend | server after sign-in: RSS $(rss), peak $(hwm) |"
for path in /export.csv /audit.csv; do
  read -r code first total size < <(curl -s -o "$data/out.csv" -b "$jar" \
    -w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}\n' "$base$path")
  lines=$(wc -l <"$data/out.csv")
  echo "| $backend | GET $path | status $code | first byte ${first} s | total ${total} s | ${size} bytes, ${lines} lines | peak RSS so far $(hwm) |"
done
