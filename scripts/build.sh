#!/usr/bin/env bash
# `npm run build [-- outDir]`: the service as plain JavaScript (default dist/), for images and hosts that should not
# compile TypeScript at every start (`npm start` runs the sources through tsx). The same tree: JavaScript where the
# sources are TypeScript, and the files the code reads next to itself (migrations, OpenAPI documents, the logo,
# the SoftHSM template). Run it with `node dist/main.js`; node_modules is found in the directory above the output,
# so the output must sit in the repository (or next to a node_modules). The benchmark's step probe is compiled too
# (dist/bench/step_probe.js) with the remote-HSM latency hook (dist/bench/hsm_latency.js), so that the benchmark
# measures the service as it is deployed; nothing loads them unless
# asked (`node --import`).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
rm -rf "$out"
npx tsc -p tsconfig.build.json --outDir "$out"
for dir in core openapi authz rssp sam softhsm-config admin; do
  (cd "$dir" && find . -type f \( -name '*.sql' -o -name '*.yaml' -o -name '*.png' -o -name '*.template' \) -print0) |
    while IFS= read -r -d '' f; do
      mkdir -p "$out/$dir/$(dirname "$f")"
      cp "$dir/$f" "$out/$dir/$f"
    done
done
echo "built $out"
