#!/usr/bin/env bash
# Load benchmark of the HTTP API: the release binary on loopback, loaded with wrk (Debian package
# `wrk`; `oha` is used instead when wrk is absent). Reports requests/s and p50/p99 latency for
#   1. a cached series (the same query again and again),
#   2. uncached series (every request a different set of geos: an answer-cache miss, selected from
#      the indicator table the engine computed once for the data version), then both again with a
#      browser's Accept-Encoding (gzip, deflate, br, zstd: a series in gzip, assembled from each
#      geo's rows deflated once),
#   3. a 304 revalidation (If-None-Match with the series' ETag),
#   4. a Parquet download (the current version of isoc_ci_in_h),
#   5. a cached chart, as SVG and as PNG (internet-access-ranking, drawn once, then from the cache),
#      and the SVG with a browser's Accept-Encoding (br, compressed once, then from the kept bytes),
#   6. the dashboard page `/` (cached: a copy of the HTML rendered once per data version), then a
#      publish (a new version of isoc_ci_in_h imported beside the running server): the time to
#      first byte of the first `/` rendered from the new version, and `/` cached again,
# and the server's peak memory (VmHWM). Each run also gives the server's CPU time per answer, user and
# kernel (from /proc/PID/stat): requests/s depend on the share of the two cores the load tool takes. The store is built from ../shared/data with `desi-city import`.
#
# Usage: bash benches/load.sh [SECONDS_PER_RUN] [CONNECTIONS]   (defaults 10 and 64)
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${1:-10}"
connections="${2:-64}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/desi-city/target}"
shared="$(cd ../shared/data && pwd)"

# --all-targets: the same feature set as the tests, so nothing already built is rebuilt.
cargo build --release --locked --all-targets >&2
bin="$CARGO_TARGET_DIR/release/desi-city"

work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" --data-dir "$work/data" import "$shared/eurostat/jsonstat/isoc_ci_in_h.json" \
  --dataset isoc_ci_in_h --format jsonstat >&2

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
DESI_CITY_COMPUTE_PER_SECOND=0 RUST_LOG=warn \
  "$bin" --data-dir "$work/data" serve --no-schedule --addr "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done

series="$base/api/v1/indicators/households_internet_access/series?geo=BE,EU27_2020"
etag="$(curl -sfI "$series" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')"
parquet="$base/api/v1/datasets/isoc_ci_in_h.parquet"
size="$(curl -sf "$parquet" | wc -c)"
chart_svg="$base/api/v1/charts/internet-access-ranking.svg"
chart_png="$base/api/v1/charts/internet-access-ranking.png"
curl -sf "$chart_svg" >/dev/null && curl -sf "$chart_png" >/dev/null  # drawn once: cached after
dashboard="$base/?lang=fr"
curl -sf "$dashboard" >/dev/null  # rendered once: cached after

cat >"$work/uncached.lua" <<'LUA'
-- Every request asks for a random subset of the member states: a query never seen before. Each
-- load thread has its own seed, so that one thread does not ask what another just asked (an
-- answer small enough to be kept would then come from the cache).
local geos = {"AT","BE","BG","CY","CZ","DE","DK","EE","EL","ES","FI","FR","HR","HU","IE","IT",
              "LT","LU","LV","MT","NL","PL","PT","RO","SE","SI","SK"}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
end
request = function()
  local picked = {}
  for _, g in ipairs(geos) do
    if math.random() < 0.5 then picked[#picked + 1] = g end
  end
  if #picked == 0 then picked[1] = "BE" end
  return wrk.format("GET", "/api/v1/indicators/households_internet_access/series?geo=" .. table.concat(picked, ","))
end
LUA

# The server's CPU time so far, user and system, in clock ticks.
ticks() { awk '{print $14, $15}' "/proc/$server/stat"; }
hz="$(getconf CLK_TCK)"

run() { # name, then the load tool's arguments after the URL
  local name="$1" url="$2"; shift 2
  local before; before="$(ticks)"
  if command -v wrk >/dev/null; then
    out="$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$@" "$url")"
    rps="$(awk '/Requests\/sec/{print $2}' <<<"$out")"
    p50="$(awk '$1=="50%"{print $2}' <<<"$out")"
    p99="$(awk '$1=="99%"{print $2}' <<<"$out")"
    errors="$(awk '/Non-2xx or 3xx responses/{print $5}' <<<"$out")"
  else
    local headers=()
    while [ $# -gt 0 ]; do [ "$1" = "-H" ] && headers+=(-H "$2"); shift 2 || shift; done
    out="$(oha -z "${duration}s" -c "$connections" --no-tui "${headers[@]}" "$url")"
    rps="$(awk '/Requests\/sec/{print $2}' <<<"$out")"
    p50="$(awk '/50.00%/{print $3 $4}' <<<"$out")"
    p99="$(awk '/99.00%/{print $3 $4}' <<<"$out")"
    errors=""
  fi
  # The server's CPU per answer (user / kernel, µs): what the answers cost it, whatever share of
  # the two cores the load tool took in that run.
  local cpu; cpu="$(awk -v b="$before" -v a="$(ticks)" -v hz="$hz" -v rps="$rps" -v d="$duration" 'BEGIN {
    split(b, x, " "); split(a, y, " "); n = rps * d
    if (n > 0) printf "%.1f / %.1f", (y[1] - x[1]) / hz / n * 1e6, (y[2] - x[2]) / hz / n * 1e6 }')"
  printf '| %-26s | %12s | %9s | %9s | %15s | %s\n' "$name" "$rps" "$p50" "$p99" "$cpu" "${errors:+non-2xx/3xx: $errors}"
}

echo "desi-city $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, ${connections} connections, ${duration}s per run, load tool on the same machine"
echo "| run                        |   requests/s |       p50 |       p99 | server µs/answer (user / kernel) |"
echo "|----------------------------|--------------|-----------|-----------|-----------------|"
browser="Accept-Encoding: gzip, deflate, br, zstd"
run "cached series" "$series"
run "uncached series (tables)" "$base" -s "$work/uncached.lua"
run "cached series, gzip" "$series" -H "$browser"
run "uncached series, gzip" "$base" -s "$work/uncached.lua" -H "$browser"
run "304 revalidation" "$series" -H "If-None-Match: $etag"
run "Parquet download (${size} B)" "$parquet"
run "cached chart SVG" "$chart_svg"
run "cached chart PNG" "$chart_png"
run "cached chart SVG, br" "$chart_svg" -H "$browser"
run "dashboard / (cached)" "$dashboard"

# A publish beside the running server (another version of isoc_ci_in_h); the server swaps in the
# new snapshot within a second. The first `/` with the new ETag is rendered: its time to first byte.
old="$(curl -sfI "$dashboard" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')"
"$bin" --data-dir "$work/data" import "$shared/eurostat/tsv/isoc_ci_in_h_legacy_2008-2019.tsv" \
  --dataset isoc_ci_in_h --format tsv >&2
ttfb=""
for _ in $(seq 200); do
  out="$(curl -s -o /dev/null -D - -w 'ttfb=%{time_starttransfer}\n' "$dashboard" | tr -d '\r')"
  tag="$(awk -F': ' 'tolower($1)=="etag"{print $2}' <<<"$out")"
  if [ -n "$tag" ] && [ "$tag" != "$old" ]; then
    ttfb="$(awk -F= '/^ttfb=/{printf "%.1f ms", $2 * 1000}' <<<"$out")"
    break
  fi
  sleep 0.05
done
echo "| dashboard / first byte after a publish | ${ttfb:-not seen} |"
run "dashboard / (after publish)" "$dashboard"
echo "server peak memory: $(awk '/VmHWM/{print $2, $3}' "/proc/$server/status")"
