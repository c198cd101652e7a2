#!/usr/bin/env bash
# Sign-in over HTTP at agency scale (issue 17, point 4). Fills a practice with `outcomes demo
# --clients N` (default 100,000), starts the release binary on 127.0.0.1, and posts the demo
# owner's sign-in form with wrk, a process of its own, for ROUNDS rounds of ROUND_SECONDS. Each
# round sits between two measurements of the raw argon2id rate with the product's parameters
# (`BENCH_ARGON2_ONLY=1 cargo bench --bench signin`, one thread per core). Then GET /login
# against /livez. SQLite in a temporary directory, or PostgreSQL when DATABASE_URL is set (the
# database must be disposable: the demo adds a practice to it). Bounded: every wrk run is timed.
#
#   benches/signin_http.sh                     # SQLite, 100,000 clients
#   CLIENTS=10000 ROUNDS=2 benches/signin_http.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
clients=${CLIENTS:-100000}
rounds=${ROUNDS:-3}
round_seconds=${ROUND_SECONDS:-10}
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release --quiet
  cargo bench --bench signin --no-run --quiet
fi
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="${BIN:-$target/release/outcomes}"
data=$(mktemp -d)
port=${PORT:-8193}
jar="$data/cookies"
export ROCKET_DATA_DIR="$data" ROCKET_PORT="$port" ROCKET_LOG_LEVEL=${ROCKET_LOG_LEVEL:-critical}
pid=
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
backend=${DATABASE_URL:+PostgreSQL}
backend=${backend:-SQLite}

summary=$("$bin" demo --clients "$clients")
echo "$summary" | head -1
owner=$(sed -n 's/.*Sign in as \([^ ]*\) .*/\1/p' <<<"$summary")
password=$(sed -n 's/.*with the password "\(.*\)"\..*/\1/p' <<<"$summary")

"$bin" serve >"$data/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"

# One sign-in form (the CSRF cookie and its token), posted again and again: each post checks
# the password with argon2 and starts a session.
token=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
cookie=$(awk '{ sub(/^#HttpOnly_/, "") } !/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$jar")
body=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlencode({"csrf_token": sys.argv[1], "user_id": sys.argv[2], "password": sys.argv[3]}))' "$token" "$owner" "$password")
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" --data "$body" "$base/login")
[ "$status" = 303 ] || { echo "the demo owner's sign-in answered $status, not 303"; exit 1; }
script="$data/post.lua"
cat >"$script" <<LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "$cookie"
LUA

argon2() {
  BENCH_ARGON2_ONLY=1 BENCH_SECONDS="$round_seconds" cargo bench --bench signin --quiet 2>/dev/null |
    sed -n 's/argon2 verifies\/s: //p'
}
# The raw rate drifts by ±10 % from one run to the next on a shared machine, so each round is
# measured against the mean of the raw rates just before and just after it.
echo "| round | argon2 verifies/s (before, after) | sign-ins/s (wrk -t2 -c8) | ratio | p99 | answers not 2xx or 3xx |"
echo "|---|---|---|---|---|---|"
after=$(argon2)
for round in $(seq 1 "$rounds"); do
  before=$after
  out=$(wrk -t2 -c8 -d"${round_seconds}s" --latency -s "$script" "$base/login")
  after=$(argon2)
  rate=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p99=$(awk '/ 99%/ { print $2 }' <<<"$out")
  other=$(awk '/Non-2xx or 3xx/ { print $5 }' <<<"$out")
  echo "| $round | $before, $after | $rate | $(python3 -c "print(f'{200 * $rate / ($before + $after):.0f} %')") | $p99 | ${other:-0} |"
done

rate() { # path -> requests/s
  wrk -t2 -c64 -d"${round_seconds}s" "$base$1" | awk '/Requests\/sec/ { print $2 }'
}
bare=$(rate /livez)
login=$(rate /login)
echo "| $backend, $clients clients | GET /livez $bare req/s | GET /login $login req/s | $(python3 -c "print(f'{100 * $login / $bare:.0f} %')") |"
