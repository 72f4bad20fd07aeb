#!/usr/bin/env bash
# Builds everything, publishes the native (AOT) `cabal` program and runs every test suite against it,
# from a fresh clone with ../shared beside it.
# Installs what the tests need (gcc for the LMDB build and the AOT link, npm packages for the JS interop peers),
# then prints one plain closing line: "N passed, N failed, N skipped".
#
#   bash scripts/test.sh           both tiers
#   bash scripts/test.sh --pure    the pure tier alone: no network, no child processes, no node or
#                                  tmux needed (every suite but tests/Cabal.Interop.Tests, whose tests
#                                  carry the trait Tier=Integration)
set -uo pipefail
pure=0
for arg in "$@"; do
  case "$arg" in
    --pure) pure=1 ;;
    *) echo "usage: scripts/test.sh [--pure]" >&2; exit 64 ;;
  esac
done
cd "$(dirname "$0")/.."
repo=$(pwd)
export CABAL_SHARED="${CABAL_SHARED:-$(cd "$repo/.." && pwd)/shared}"
# Loopback only: a `cabal` run that a test forgets to give --no-dht or a loopback --bootstrap must not
# reach the public DHT bootstrap nodes (--bootstrap on the command line still turns the DHT on).
export CABAL_NO_DHT=1

if ! command -v gcc >/dev/null 2>&1; then
  echo "[test] installing gcc (LMDB is compiled from LightningDB's own C source)" >&2
  (apt-get update -qq && apt-get install -y -qq gcc) >&2 || echo "[test] could not install gcc" >&2
fi

if [ "$pure" -eq 0 ] && ! command -v tmux >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "[test] installing tmux (the terminal client's smoke test drives the real program in it)" >&2
  (apt-get update -qq && apt-get install -y -qq tmux) >&2 || echo "[test] could not install tmux: the smoke test will skip" >&2
fi

interop="$CABAL_SHARED/interop"
if [ "$pure" -eq 1 ]; then
  : # the pure tier runs no JS peers
elif [ -f "$interop/package-lock.json" ] && command -v npm >/dev/null 2>&1; then
  if [ ! -d "$interop/node_modules" ]; then
    echo "[test] npm ci in $interop" >&2
    (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error) >&2 || echo "[test] npm ci failed: JS interop tests will fail" >&2
  fi
else
  echo "[test] no $interop or no npm: JS interop tests will fail" >&2
fi

results="$repo/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
dotnet build Cabal.sln -c Release -nologo -v q 2>&1 | grep -vE "warning NU1603" >&2
build_rc=${PIPESTATUS[0]}
if [ "$build_rc" -ne 0 ]; then
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# The program as shipped: a Native AOT publish (README), which the Interop suite and the terminal
# smoke test then run (CABAL_PROGRAM) instead of cabal.dll. A failed publish fails the run: CI must
# test what ships, never fall back to the JIT build. Warnings are errors here too.
if [ "$pure" -eq 0 ]; then
  program="$repo/artifacts/cabal-aot/cabal"
  rm -rf "$repo/artifacts/cabal-aot"
  echo "[test] publishing the native (AOT) cabal program into artifacts/cabal-aot" >&2
  dotnet publish src/Chat/Cabal.Cli -c Release -r linux-x64 -nologo -v q -o "$repo/artifacts/cabal-aot" 2>&1 | grep -vE "warning NU1603" >&2
  publish_rc=${PIPESTATUS[0]}
  if [ "$publish_rc" -ne 0 ] || [ ! -x "$program" ]; then
    echo "[test] the AOT publish failed" >&2
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
  export CABAL_PROGRAM="$program"
fi

filter=()
[ "$pure" -eq 1 ] && filter=(--filter "Tier!=Integration")
dotnet test Cabal.sln -c Release --no-build -nologo "${filter[@]}" \
  --logger "trx" --results-directory "$results" \
  --blame-hang-timeout 10m >&2
test_rc=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*' "$trx" | head -n 1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  p=$(get passed); f=$(get failed); t=$(get total); e=$(get executed)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  skipped=$((skipped + ${t:-0} - ${e:-0}))
done
if [ "$test_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$test_rc" -eq 0 ] && [ "$failed" -eq 0 ]
