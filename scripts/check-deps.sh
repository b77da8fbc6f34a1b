#!/usr/bin/env bash
# Dependency rules of DESIGN §6, checked on every test run: a violation fails the build.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
check() { # description, offending files
  if [ -n "$2" ]; then echo "dependency rule broken: $1:"; echo "$2" | sed 's/^/  /'; fail=1; fi
}
src="core openapi authz rssp sam admin softhsm-config service.ts main.ts"
check "only sam/hsm/pkcs11/ imports pkcs11js" \
  "$(grep -rlE "from ['\"]pkcs11js['\"]" $src 2>/dev/null | grep -v '^sam/hsm/pkcs11/')"
check "only authz/ imports oidc-provider" \
  "$(grep -rlE "from ['\"]oidc-provider['\"]" $src 2>/dev/null | grep -v '^authz/')"
check "rssp, authz and admin use the SAM port, not SAM internals" \
  "$(grep -rlE "from ['\"](\.\./)+sam/" rssp authz admin 2>/dev/null)"
check "use cases (app/) import neither Koa nor pg" \
  "$(grep -rlE "from ['\"](koa|pg)['\"]" rssp/app sam/app 2>/dev/null)"
check "conformance/ is a black-box kit: it imports no part of the service (it must work against any RSSP)" \
  "$(grep -rlE "from ['\"](\.\./)+(core|openapi|authz|rssp|sam|admin|client|softhsm-config)/|from ['\"](\.\./)+(service|main)\.ts" conformance 2>/dev/null)"
check "client/ is a client of the public CSC API and imports no service code" \
  "$(grep -rlE "from ['\"](\.\./)+(core|openapi|authz|rssp|sam|admin)/" client 2>/dev/null)"
exit $fail
