#!/usr/bin/env bash
# socflow model factory entry point (`make train`).
#
# Creates/reuses the git-ignored virtualenv .venv/ at the repo root, installs the
# pinned requirements (only when they changed), then trains, evaluates and exports
# the NSL-KDD binary classifier into models/registry/nslkdd-binary/1.0.0/.
#
# Training data: $NSLKDD_TRAIN, or --data PATH, default ../shared/data/nsl-kdd/KDDTrain+.txt
# (relative to the repo root). Extra arguments are passed to train.py (see --help).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$REPO/.venv"
REQ="$HERE/requirements.txt"
PYTHON="${PYTHON:-python3}"
START=$(date +%s)

say() { printf '[train.sh %4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "train.sh: Python >= 3.11 required (found $("$PYTHON" --version 2>&1)); set PYTHON=..." >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
fi

REQ_HASH="$(sha256sum "$REQ" | cut -d' ' -f1)"
STAMP="$VENV/.socflow-model-factory-requirements.sha256"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$REQ_HASH" ]; then
  say "installing pinned requirements ($REQ)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off \
    -r "$REQ"
  echo "$REQ_HASH" > "$STAMP"
else
  say "requirements already installed in $VENV"
fi

say "training (this takes a few minutes: 26 validation fits + final fit + determinism refit)"
cd "$REPO"
PYTHONHASHSEED=0 "$VENV/bin/python" "$HERE/train.py" "$@"
say "finished in $(( $(date +%s) - START ))s"
