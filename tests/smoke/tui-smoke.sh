#!/usr/bin/env bash
# Smoke test of the real terminal client: starts `cabal` in a detached tmux pane (120x40), waits for
# the prompt, types a message, reads it back with `tmux capture-pane`, sends one with `cabal send`
# beside it (forwarded to the client) and sees it appear, then /quit. Exit 0 = pass,
# 1 = fail. Skips (exit 0, "SKIP" on stdout) when tmux is not installed.
#   usage: tests/smoke/tui-smoke.sh [path/to/cabal.dll] [path/to/shared/interop]
#   (default: builds src/Chat/Cabal.Cli). With the interop directory (npm ci done) it then runs against a live
#   JS cabal-peer: the client shows the JS peer's message, and the JS peer receives ours, first over TCP
#   (--peer), then on the swarm: a loopback JS DHT testnet, cabal-peer.js --swarm, and the client given
#   only the key and --bootstrap 127.0.0.1:PORT (no --peer, no LAN), as cabal-core's swarm.js finds peers.
set -u

if ! command -v tmux >/dev/null 2>&1; then
  echo "SKIP: tmux is not installed (apt-get install -y tmux)"
  exit 0
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dll="${1:-${CABAL_DLL:-}}"
if [ -z "$dll" ]; then
  repo="$(cd "$here/../.." && pwd)"
  art="${TMPDIR:-/tmp}/art-tui-smoke"
  dotnet build "$repo/src/Chat/Cabal.Cli" --artifacts-path "$art" -v q -nologo >/dev/null || { echo "FAIL: build"; exit 1; }
  dll="$art/bin/Cabal.Cli/debug/cabal.dll"
fi
[ -f "$dll" ] || { echo "FAIL: no $dll"; exit 1; }

interop="${2:-}"
data="$(mktemp -d)"
session="cabal-smoke-$$"
token="smoke-$RANDOM$RANDOM"
jspid=""
netpid=""
cleanup() { tmux kill-session -t "$session" 2>/dev/null; [ -n "$jspid" ] && kill "$jspid" 2>/dev/null; [ -n "$netpid" ] && kill "$netpid" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT

pane() { tmux capture-pane -t "$session" -p 2>/dev/null; }

# wait_for TEXT SECONDS: polls the pane until it shows TEXT.
wait_for() {
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    pane | grep -qF -- "$1" && return 0
    sleep 0.2
  done
  return 1
}

fail() {
  echo "FAIL: $1"
  echo "---- pane ----"
  pane
  exit 1
}

# DisableRealDriverIO (set by headless test runs) would make the program think it has no terminal.
tmux new-session -d -s "$session" -x 120 -y 40 "env -u DisableRealDriverIO dotnet '$dll' --data '$data' --no-lan --no-dht" || fail "tmux could not start"
wait_for ":default]" 60 || fail "no prompt for #default"
tmux send-keys -t "$session" -l "hello $token"
tmux send-keys -t "$session" Enter
wait_for "> hello $token" 15 || fail "the message did not appear"
wait_for "last message: pending" 5 || fail "no delivery state on the status line"
# `cabal send` beside the running client: the client holds the data directory, so the command is
# handed to it over the directory's socket and published by the client's own node (never a fork).
url="$(cat "$data/last-cabal")"
out="$(dotnet "$dll" send "${url#cabal://}" --data "$data" --no-lan --no-dht --text "beside $token" 2>&1)" || fail "cabal send beside the client failed: $out"
echo "$out" | grep -q "published" || fail "cabal send beside the client said: $out"
wait_for "> beside $token" 15 || fail "the message sent beside the client did not appear in it"
tmux send-keys -t "$session" -l "/quit"
tmux send-keys -t "$session" Enter
quit_ok=""
for _ in $(seq 1 50); do
  tmux has-session -t "$session" 2>/dev/null || { quit_ok=1; break; }
  sleep 0.2
done
[ -n "$quit_ok" ] || fail "/quit did not exit"
echo "PASS: typed and read back 'hello $token'"

[ -n "$interop" ] || exit 0
if ! command -v node >/dev/null 2>&1 || [ ! -d "$interop/node_modules" ]; then
  echo "SKIP: no node or no npm ci in $interop: live JS part not run"
  exit 0
fi

# Part two: a live JS cabal-peer on 127.0.0.1. Its events go to a file (node writes files synchronously).
events="$data/js-events.jsonl"
node "$interop/cabal-peer.js" --listen 0 --nick jsalice --say "default:hello from js $token" --timeout 90 >"$events" 2>"$data/js.err" &
jspid=$!
for _ in $(seq 1 100); do grep -q '"event":"listening"' "$events" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '"event":"listening"[^}]*"port":[0-9]*' "$events" | grep -o '[0-9]*$')
key=$(grep '"event":"ready"' "$events" | grep -o '"key":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)
[ -n "$port" ] && [ -n "$key" ] || fail "the JS cabal-peer did not start: $(cat "$data/js.err")"
tmux new-session -d -s "$session" -x 120 -y 40 "env -u DisableRealDriverIO dotnet '$dll' '$key' --data '$data/js-client' --peer 127.0.0.1:$port --no-lan --no-dht" || fail "tmux could not start"
wait_for "hello from js $token" 60 || fail "the JS peer's message did not appear"
wait_for "jsalice" 10 || fail "the JS peer's nick did not appear"
tmux send-keys -t "$session" -l "hi js $token"
tmux send-keys -t "$session" Enter
for _ in $(seq 1 150); do grep -q "hi js $token" "$events" && break; sleep 0.1; done
grep -q "hi js $token" "$events" || fail "the JS peer did not receive our message"
tmux send-keys -t "$session" -l "/quit"
tmux send-keys -t "$session" Enter
echo "PASS: showed the live JS peer's message and nick, and the JS peer received ours"
for _ in $(seq 1 50); do tmux has-session -t "$session" 2>/dev/null || break; sleep 0.2; done
tmux kill-session -t "$session" 2>/dev/null
kill "$jspid" 2>/dev/null; jspid=""

# Part three: the same on the swarm. Every DHT node binds 127.0.0.1; the bootstrap is the testnet's.
netlog="$data/testnet.jsonl"
node "$interop/dht-testnet.js" --nodes 5 --timeout 120 >"$netlog" 2>"$data/testnet.err" &
netpid=$!
for _ in $(seq 1 150); do grep -q '"event":"testnet"' "$netlog" 2>/dev/null && break; sleep 0.1; done
bootstrap=$(grep -o '"bootstrap":"127\.0\.0\.1:[0-9]*"' "$netlog" | cut -d'"' -f4)
[ -n "$bootstrap" ] || fail "the JS DHT testnet did not start: $(cat "$data/testnet.err")"
events="$data/js-swarm-events.jsonl"
node "$interop/cabal-peer.js" --swarm --bootstrap "$bootstrap" --nick jsbob --say "default:swarm hello $token" --timeout 90 >"$events" 2>"$data/js-swarm.err" &
jspid=$!
for _ in $(seq 1 150); do grep -q '"event":"swarm-joined"' "$events" 2>/dev/null && break; sleep 0.1; done
key=$(grep '"event":"ready"' "$events" | grep -o '"key":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)
[ -n "$key" ] || fail "the JS swarm peer did not start: $(cat "$data/js-swarm.err")"
tmux new-session -d -s "$session" -x 120 -y 40 "env -u DisableRealDriverIO dotnet '$dll' '$key' --data '$data/swarm-client' --no-lan --bootstrap $bootstrap" || fail "tmux could not start"
wait_for "swarm hello $token" 60 || fail "the JS swarm peer's message did not appear"
wait_for "jsbob" 10 || fail "the JS swarm peer's nick did not appear"
wait_for "DHT " 10 || fail "no DHT state on the status line"
tmux send-keys -t "$session" -l "hi swarm $token"
tmux send-keys -t "$session" Enter
for _ in $(seq 1 150); do grep -q "hi swarm $token" "$events" && break; sleep 0.1; done
grep -q "hi swarm $token" "$events" || fail "the JS swarm peer did not receive our message"
tmux send-keys -t "$session" -l "/quit"
tmux send-keys -t "$session" Enter
echo "PASS: on the swarm (DHT only), showed the JS peer's message and nick, and the JS peer received ours"
exit 0
