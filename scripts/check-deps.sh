#!/usr/bin/env bash
# Dependency rules of DESIGN §6, checked on every test run on the resolved import graph (scripts/check_imports.ts):
# a violation, or an import cycle, fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx scripts/check_imports.ts
