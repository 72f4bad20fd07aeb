#!/usr/bin/env bash
# Regenerates docs/screens/{dark,light,mono}.png: the terminal client's first screen at 80×24 in each
# theme, with a peer joined over loopback, captured from tmux (`capture-pane -e`, colours included)
# and drawn by scripts/ansi2png.py. Dark is drawn on a dark terminal palette, light on a light one,
# mono (what NO_COLOR gives) on a dark one.
#   usage: scripts/screens.sh [path/to/cabal.dll]
# Needs tmux and Pillow for /usr/bin/python3; on Debian it installs them (python3-pil, tmux) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
py=/usr/bin/python3
if ! command -v tmux >/dev/null 2>&1 || ! "$py" -c "import PIL" 2>/dev/null; then
  echo "[screens] installing tmux and python3-pil" >&2
  (apt-get update -qq && apt-get install -y -qq tmux python3-pil fonts-dejavu-core) >&2
fi
dll="${1:-}"
if [ -z "$dll" ]; then
  art="${TMPDIR:-/tmp}/art-screens"
  dotnet build "$repo/src/Chat/Cabal.Cli" -c Release --artifacts-path "$art" -v q -nologo >/dev/null
  dll="$art/bin/Cabal.Cli/release/cabal.dll"
fi
work="$(mktemp -d)"
session="cabal-screens-$$"
seedpid=""
cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; [ -n "$seedpid" ] && kill "$seedpid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

wait_for() {
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    tmux capture-pane -t "$session" -p 2>/dev/null | grep -qF -- "$1" && return 0
    sleep 0.2
  done
  echo "[screens] timed out waiting for: $1" >&2
  tmux capture-pane -t "$session" -p >&2 || true
  return 1
}

mkdir -p docs/screens
for theme in dark light mono; do
  data="$work/$theme"
  palette=$([ "$theme" = light ] && echo light || echo dark)
  tmux new-session -d -s "$session" -x 80 -y 24 "env -u DisableRealDriverIO -u NO_COLOR TZ=UTC dotnet '$dll' --data '$data' --no-lan --no-dht --theme $theme"
  wait_for "you created a new cabal" 60
  url="$(cat "$data/last-cabal")"
  port="$(grep -o '[0-9]*' "$data/listen-port")"
  dotnet "$dll" nick "$url" friend --data "$data-peer" --no-lan --no-dht >/dev/null 2>&1
  dotnet "$dll" seed "$url" --data "$data-peer" --no-lan --no-dht --peer "127.0.0.1:$port" >/dev/null 2>&1 &
  seedpid=$!
  wait_for "friend joined from" 60
  sleep 0.5
  tmux capture-pane -t "$session" -e -N -p >"$work/$theme.ans"
  "$py" scripts/ansi2png.py "$work/$theme.ans" "docs/screens/$theme.png" --palette "$palette"
  kill "$seedpid" 2>/dev/null || true; wait "$seedpid" 2>/dev/null || true; seedpid=""
  tmux kill-session -t "$session"
  echo "docs/screens/$theme.png"
done
