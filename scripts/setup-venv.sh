#!/usr/bin/env bash
# Creates .venv with the pinned Python tools: moto's server mode (the local AWS endpoint) and checkov.
# Idempotent: does nothing when .venv already matches requirements-dev.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.requirements-dev.txt
if [ -f "$stamp" ] && cmp -s requirements-dev.txt "$stamp"; then exit 0; fi
python3 -m venv .venv
# -qq: errors only. A machine's own pip configuration can warn once per package (an extra index
# that names missing directories printed 157 lines here); a failure still prints and fails.
.venv/bin/pip install -qq --disable-pip-version-check --upgrade pip
.venv/bin/pip install -qq --disable-pip-version-check -r requirements-dev.txt
cp requirements-dev.txt "$stamp"
