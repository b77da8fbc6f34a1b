// The DPoP binding of an access token (RFC 9449 §6): oidc-provider keeps the thumbprint of the key a token was
// issued to as the token's `jkt` (its cnf.jkt, had it been a JWT); the verifiers hand it on as AccessGrant.cnf.
import type { AccessGrant } from '../../core/ports.ts';

export function boundTo(token: { jkt?: unknown }): Pick<AccessGrant, 'cnf'> {
  return typeof token.jkt === 'string' && token.jkt ? { cnf: { jkt: token.jkt } } : {};
}
