// Service authorization (CSC v2 §8.1, RFC 6750): every method but info and auth/login needs a bearer token.
// No header: 401 with a bare "Bearer" challenge (RFC 6750 §3.1: no error code when no credentials were sent).
// A header of another shape: 400 "Malformed authorization header" (the error tables of CSC v2 §11.3 – §11.10).
import { CscError } from '../../../core/errors.ts';
import type { AccessGrant } from '../../../core/ports.ts';
import { required, type Step } from '../step.ts';

// RFC 6750 §2.1 b64token; the scheme name is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function requireBearer(): Step {
  return async (ctx, deps) => {
    const header = ctx.get('Authorization');
    if (!header) throw new CscError('missingAuthorization', { headers: { 'WWW-Authenticate': 'Bearer' } });
    const match = BEARER.exec(header);
    if (!match) throw new CscError('malformedAuthorizationHeader');
    ctx.state.grant = await deps.tokens.verify(match[1]!);
  };
}

/** CSC v2 §8.1: service tokens open every method; credential-scoped tokens (§8.4) only signatures/signHash. */
export function requireScope(...allowed: AccessGrant['scope'][]): Step {
  return (ctx) => {
    const grant = required(ctx.state.grant, 'grant');
    if (!allowed.includes(grant.scope)) {
      throw new CscError('insufficientScope', { headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } });
    }
  };
}
