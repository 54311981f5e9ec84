# Shared set-up for scripts/demo, scripts/test and friends: a local virtual environment
# (.venv) with the project installed. Sourced, not run. Re-installs only when pyproject.toml
# or the wanted extras change.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python() {
    for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3 python; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "flooding needs Python 3.11 or newer; none was found on PATH (set PYTHON=/path/to/python3.11)." >&2
    return 1
}

# ensure_env EXTRAS: create/refresh .venv with the project (and the given extras) installed.
ensure_env() {
    local extras="${1:-}"
    local spec="$ROOT"
    [ -n "$extras" ] && spec="$ROOT[$extras]"
    if [ ! -x "$VENV/bin/python" ]; then
        local python
        python="$(find_python)"
        echo "Setting up $VENV with $("$python" --version)..." >&2
        "$python" -m venv "$VENV"
    fi
    local stamp="$VENV/.flooding-installed"
    local want
    want="$(cat "$ROOT/pyproject.toml" | cksum | cut -d' ' -f1)-$extras"
    if [ ! -f "$stamp" ] || ! grep -qxF -- "$want" "$stamp"; then
        echo "Installing flooding${extras:+ [$extras]} into $VENV (first run takes a minute)..." >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec" >&2
        echo "$want" >>"$stamp"
    fi
}
