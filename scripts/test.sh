#!/usr/bin/env bash
# The one test command (README): type-check, check the generated OpenAPI types are current, run the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit
bash scripts/openapi-check.sh
npx vitest run "$@"
