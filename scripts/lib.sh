# Shared helpers for the scripts in this folder. Source it; do not run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENVS="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# python_tool NAME: a venv under .venv/NAME with the lock scripts/python/NAME.txt installed (every
# package pinned with its hashes, compiled from NAME.in by scripts/python/lock), made once and
# remade whenever the lock changes. Prints the venv's bin folder.
python_tool() {
  local name="$1" venv="$VENVS/$1" lock="$ROOT/scripts/python/$1.txt"
  local stamp="$venv/.requirements"
  stale_lock "$ROOT/scripts/python/$1.in" "$lock"
  if ! cmp -s "$lock" "$stamp" 2>/dev/null; then
    say "installing Python tools: $name (once)"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    # --no-deps: the lock already names every package (pip's resolver stumbles over extras in
    # a hashed lock); pip check then proves that what it names is whole and consistent.
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$lock" >&2
    "$venv/bin/pip" check >&2
    cp "$lock" "$stamp"
  fi
  printf '%s\n' "$venv/bin"
}

# stale_lock IN TXT: fails, naming the package, when a top-level pin of IN is not what TXT
# locks (IN edited without running scripts/python/lock).
stale_lock() {
  python3 - "$1" "$2" <<'PY'
import re, sys
pins = lambda text: dict(re.findall(r"(?m)^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", text))
chosen, locked = (pins(open(path).read()) for path in sys.argv[1:])
norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()
locked = {norm(name): version for name, version in locked.items()}
stale = [f"{name}=={version}" for name, version in chosen.items() if locked.get(norm(name)) != version]
if stale:
    sys.exit(f"{sys.argv[2]} does not lock {', '.join(stale)}: run scripts/python/lock")
PY
}

# local_binary PROFILE: the path of bookworm-local built with PROFILE (debug or release),
# wherever cargo puts its target directory (CARGO_TARGET_DIR is honoured).
local_binary() {
  local target
  target="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  printf '%s/%s/bookworm-local\n' "$target" "$1"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
# Runs a command as root: directly when we are, through sudo otherwise (package installs).
sudo_if_needed() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_http URL SECONDS: polls until the URL answers with any HTTP status.
wait_for_http() {
  local url="$1" deadline=$((SECONDS + $2))
  local probe='
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass'
  until python3 -c "$probe" "$url" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      return 1
    fi
    sleep 0.2
  done
}
