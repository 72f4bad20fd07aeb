#!/usr/bin/env bash
# Smoke test of the real terminal client: starts `cabal` in a detached tmux pane (120x40), waits for
# the prompt, types a message, reads it back with `tmux capture-pane`, then /quit. Exit 0 = pass,
# 1 = fail. Skips (exit 0, "SKIP" on stdout) when tmux is not installed.
#   usage: tests/smoke/tui-smoke.sh [path/to/cabal.dll]   (default: builds src/Chat)
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
  dotnet build "$repo/src/Chat" --artifacts-path "$art" -v q -nologo >/dev/null || { echo "FAIL: build"; exit 1; }
  dll="$art/bin/Cabal.Chat/debug/cabal.dll"
fi
[ -f "$dll" ] || { echo "FAIL: no $dll"; exit 1; }

data="$(mktemp -d)"
session="cabal-smoke-$$"
token="smoke-$RANDOM$RANDOM"
cleanup() { tmux kill-session -t "$session" 2>/dev/null; rm -rf "$data"; }
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
tmux new-session -d -s "$session" -x 120 -y 40 "env -u DisableRealDriverIO dotnet '$dll' --data '$data' --no-lan" || fail "tmux could not start"
wait_for ":default]" 60 || fail "no prompt for #default"
tmux send-keys -t "$session" -l "hello $token"
tmux send-keys -t "$session" Enter
wait_for "> hello $token" 15 || fail "the message did not appear"
wait_for "last message: pending" 5 || fail "no delivery state on the status line"
tmux send-keys -t "$session" -l "/quit"
tmux send-keys -t "$session" Enter
for _ in $(seq 1 50); do
  tmux has-session -t "$session" 2>/dev/null || { echo "PASS: typed and read back 'hello $token'"; exit 0; }
  sleep 0.2
done
fail "/quit did not exit"
