// Service authorization (CSC v2 §8.1, RFC 6750): every method but info and auth/login needs an access token.
// No header: 401 with a bare "Bearer" challenge (RFC 6750 §3.1: no error code when no credentials were sent).
// A header of another shape: 400 "Malformed authorization header" (the error tables of CSC v2 §11.3 – §11.10).
// A token bound to a DPoP key (RFC 9449) comes as `Authorization: DPoP <token>` with a proof in the DPoP header,
// checked on every call (steps/dpop.ts); it is refused under the Bearer scheme, and an unbound token under DPoP.
import { CscError } from '../../../core/errors.ts';
import type { AccessGrant } from '../../../core/ports.ts';
import { required, type Step } from '../step.ts';
import { dpopChallenge, requireDpopProof } from './dpop.ts';

// RFC 6750 §2.1 b64token (RFC 9449 §7.1 uses the same token68 for DPoP); scheme names are case-insensitive
// (RFC 9110 §11.1).
const AUTHORIZATION = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function requireBearer(): Step {
  return async (ctx, deps) => {
    const header = ctx.get('Authorization');
    if (!header) throw new CscError('missingAuthorization', { headers: { 'WWW-Authenticate': 'Bearer' } });
    const match = AUTHORIZATION.exec(header);
    if (!match) throw new CscError('malformedAuthorizationHeader');
    const dpop = match[1]!.toLowerCase() === 'dpop';
    const token = match[2]!;
    const grant = await deps.tokens.verify(token).catch((err: unknown) => {
      // RFC 9449 §7.1: a refusal of a request under the DPoP scheme names that scheme in its challenge.
      if (dpop && err instanceof CscError && err.status === 401) throw new CscError(err.code, { headers: dpopChallenge(err.error, err.description) });
      throw err;
    });
    if (grant.cnf && !dpop) throw new CscError('dpopTokenAsBearer', { headers: dpopChallenge('invalid_token', 'The access token is bound to a DPoP key') });
    if (dpop && !grant.cnf) throw new CscError('bearerTokenAsDpop');
    if (grant.cnf) await requireDpopProof(ctx, deps, token, grant.cnf.jkt);
    ctx.state.grant = grant;
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
