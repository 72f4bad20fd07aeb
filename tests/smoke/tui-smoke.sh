#!/usr/bin/env bash
# Smoke test of the real terminal client: starts `cabal` in a detached tmux pane (120x40), checks the
# first screen (!status: created, URL on one row, alone on its row at 80x24 too, /share, listening port, /help), lets a seeding peer
# join over loopback and sees it on !status and in /peers, types a message, reads it back with `tmux capture-pane`, sends one with `cabal send`
# beside it (forwarded to the client) and sees it appear, then /quit. Exit 0 = pass,
# 1 = fail. Skips (exit 0, "SKIP" on stdout) when tmux is not installed.
#   usage: tests/smoke/tui-smoke.sh [path/to/cabal.dll or the native cabal] [path/to/shared/interop]
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
# A .dll runs with dotnet; any other file is the native program (scripts/test.sh publishes it).
case "$dll" in
  *.dll) launch="dotnet '$dll'"; cabal=(dotnet "$dll") ;;
  *) launch="'$dll'"; cabal=("$dll") ;;
esac

interop="${2:-}"
data="$(mktemp -d)"
session="cabal-smoke-$$"
token="smoke-$RANDOM$RANDOM"
jspid=""
seedpid=""
netpid=""
cleanup() { tmux kill-session -t "$session" 2>/dev/null; [ -n "$jspid" ] && kill "$jspid" 2>/dev/null; [ -n "$seedpid" ] && kill "$seedpid" 2>/dev/null; [ -n "$netpid" ] && kill "$netpid" 2>/dev/null; rm -rf "$data"; }
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
tmux new-session -d -s "$session" -x 120 -y 40 "env -u DisableRealDriverIO $launch --data '$data' --no-lan --no-dht" || fail "tmux could not start"
# The first screen of a new cabal: !status says what happened, the URL on one row, how to invite,
# the network (listening port, LAN) and /help; the status line says we are offline.
wait_for ":!status]" 60 || fail "the first screen is not !status"
wait_for "you created a new cabal" 10 || fail "the first screen does not say a cabal was created"
url="$(cat "$data/last-cabal")"
pane | tail -n +2 | grep -qF -- "$url" || fail "the cabal URL is not on one row of the first screen"
# At the classic 80x24 the message column between the side panes (61) is narrower than the URL (72):
# the URL's row then holds the URL alone, from the left edge, so a triple-click copies exactly it.
tmux resize-window -t "$session" -x 80 -y 24
wait_for_row() {
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    pane | tail -n +2 | grep -qxF -- "$1" && return 0
    sleep 0.2
  done
  return 1
}
wait_for_row "$url" 15 || fail "at 80x24 the cabal URL is not alone on a row of its own"
tmux resize-window -t "$session" -x 120 -y 40
pane | grep -qF -- "/share" || fail "the first screen does not say how to invite (/share)"
pane | grep -qF -- "/help" || fail "the first screen does not mention /help"
pane | grep -qF -- "LAN discovery off" || fail "the first screen does not show the LAN state"
pane | grep -qF -- "offline: no peers" || fail "the status line does not say we are offline"
port="$(pane | grep -o 'listening on port [0-9]*' | head -1 | grep -o '[0-9]*$')"
[ -n "$port" ] || fail "the first screen does not show the listening port"
grep -qx "$port" "$data/listen-port" || fail "the listening port was not remembered in the data directory"

# A peer joins: a seeding bot in another data directory dials the client on loopback.
peerdata="$data/peer"
"${cabal[@]}" nick "$url" smokepeer --data "$peerdata" --no-lan --no-dht >/dev/null 2>&1 || fail "cabal nick for the peer failed"
"${cabal[@]}" seed "$url" --data "$peerdata" --no-lan --no-dht --peer "127.0.0.1:$port" >"$data/seed.out" 2>&1 &
seedpid=$!
wait_for "smokepeer joined from 127.0.0.1:" 60 || fail "the peer's arrival did not appear on !status"
wait_for "1 peer" 10 || fail "the status line does not count the peer"
tmux send-keys -t "$session" -l "/peers"
tmux send-keys -t "$session" Enter
wait_for "1 connection:" 15 || fail "/peers did not list the connection"
pane | grep -qE "smokepeer +127\.0\.0\.1:[0-9]+ +inbound" || fail "/peers does not show the peer's nick, address and direction"
kill "$seedpid" 2>/dev/null; wait "$seedpid" 2>/dev/null; seedpid=""
wait_for "smokepeer left" 20 || fail "the peer's departure did not appear on !status"

tmux send-keys -t "$session" -l "/join default"
tmux send-keys -t "$session" Enter
wait_for ":default]" 15 || fail "no prompt for #default"
tmux send-keys -t "$session" -l "hello $token"
tmux send-keys -t "$session" Enter
wait_for "> hello $token" 15 || fail "the message did not appear"
wait_for "last message: " 5 || fail "no delivery state on the status line"
# `cabal send` beside the running client: the client holds the data directory, so the command is
# handed to it over the directory's socket and published by the client's own node (never a fork).
url="$(cat "$data/last-cabal")"
out="$("${cabal[@]}" send "${url#cabal://}" --data "$data" --no-lan --no-dht --text "beside $token" 2>&1)" || fail "cabal send beside the client failed: $out"
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
tmux new-session -d -s "$session" -x 120 -y 40 "env -u DisableRealDriverIO $launch '$key' --data '$data/js-client' --peer 127.0.0.1:$port --no-lan --no-dht" || fail "tmux could not start"
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
tmux new-session -d -s "$session" -x 120 -y 40 "env -u DisableRealDriverIO $launch '$key' --data '$data/swarm-client' --no-lan --bootstrap $bootstrap" || fail "tmux could not start"
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
