#!/usr/bin/env bash
# Checklist name for `pipeline rollback` (see pipeline/CONTRACT.md). Flags: --dir D --port P.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec node --import "file://$ROOT/node_modules/tsx/dist/loader.mjs" "$ROOT/pipeline/cli.ts" rollback "$@"
