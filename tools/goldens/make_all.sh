#!/usr/bin/env bash
# Regenerates every PyTorch golden fixture (needs Debian's python3-torch).
set -euo pipefail
cd "$(dirname "$0")"
for script in make_*.py; do
  echo "== $script"
  /usr/bin/python3 "$script"
done
