#!/usr/bin/env bash
# Install everything the tests need into .venv (CPU torch first, so sentence-transformers does not pull CUDA),
# make sure Debian's Chromium is there for the browser test, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet torch==2.13.0
.venv/bin/pip install --quiet -e '.[st,test]'
if [ "$(id -u)" = 0 ] && { ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "cjk"; }; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
        || echo "could not install chromium and fonts-noto-cjk; the browser test will say why it is skipped"
fi
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
