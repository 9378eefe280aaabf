#!/usr/bin/env bash
# Install mesoshim, kubesim and everything the tests need, from nothing but Python and pip.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
"$PYTHON" -m pip install --quiet -e '.[dev]'
# pymesos needs http-parser, whose shipped C file no longer builds on Python 3.11.
PYTHON="$PYTHON" bash scripts/install_pymesos.sh
# Under pyenv, new console scripts (mesoshim, kubesim) reach PATH only through its shims.
if command -v pyenv >/dev/null 2>&1; then
    pyenv rehash
fi
