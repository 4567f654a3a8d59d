#!/usr/bin/env bash
# Install Baoku into .venv and start the web chat; the first start indexes the bundled sample issue.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet .
exec .venv/bin/baoku serve "$@"
