#!/usr/bin/env bash
# The one test command (README: `npm test`): type-check, check that the generated OpenAPI types are current,
# run the whole suite against the machine's PostgreSQL, Redis and SoftHSM, and end with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit
bash scripts/check-deps.sh
bash scripts/openapi-check.sh
mkdir -p .vitest
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.vitest/results.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(".vitest/results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $status
