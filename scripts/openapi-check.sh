#!/usr/bin/env bash
# Fails when openapi/csc-v2.d.ts is not what openapi-typescript generates from openapi/csc-v2.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f openapi/csc-v2.yaml ] || { echo "openapi/csc-v2.yaml missing"; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
npx openapi-typescript openapi/csc-v2.yaml -o "$tmp" >/dev/null 2>&1
if ! diff -q "$tmp" openapi/csc-v2.d.ts >/dev/null; then
  echo "openapi/csc-v2.d.ts is stale: run npm run openapi:types"
  exit 1
fi
# The CSC v1 compatibility contract (/csc/v1) likewise.
npx openapi-typescript openapi/csc-v1.yaml -o "$tmp" >/dev/null 2>&1
if ! diff -q "$tmp" openapi/csc-v1.d.ts >/dev/null; then
  echo "openapi/csc-v1.d.ts is stale: run npm run openapi:types"
  exit 1
fi
# The CSC v2.2 contract (/csc/v2.2): generated from csc-v2.yaml and its overlay, then its types likewise.
node --import tsx scripts/openapi_v22.ts "$tmp"
if ! diff -q "$tmp" openapi/csc-v2.2.yaml >/dev/null; then
  echo "openapi/csc-v2.2.yaml is stale (csc-v2.yaml or csc-v2.2.overlay.yaml changed): run npm run openapi:types"
  exit 1
fi
npx openapi-typescript openapi/csc-v2.2.yaml -o "$tmp" >/dev/null 2>&1
if ! diff -q "$tmp" openapi/csc-v2.2.d.ts >/dev/null; then
  echo "openapi/csc-v2.2.d.ts is stale: run npm run openapi:types"
  exit 1
fi
