// Resolves an auth/login bearer token of a CSC call (CSC v2 §8.1: service authorization) into what it grants;
// OAuth tokens are authz/oauth/token_verifier.ts's. Valid tokens are kept a few seconds (token_cache.ts).
import { CscError } from '../core/errors.ts';
import type { AccessGrant, TokenVerifier } from '../core/ports.ts';
import type { TokenCache } from './token_cache.ts';
import { hashToken, TOKEN_PATTERN, type TokenStore } from './token_store.ts';

export class LoginTokenVerifier implements TokenVerifier {
  constructor(
    private readonly tokens: TokenStore,
    private readonly cache: TokenCache,
    private readonly now: () => number = Date.now,
  ) {}

  /** Unknown, malformed, or a refresh token used as a bearer: invalidToken. Revoked or past its expiry:
   *  expiredToken, which tells the application to log in again (§11.2 access_token). */
  async verify(token: string): Promise<AccessGrant> {
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) throw new CscError('invalidToken');
    // The token's hash: unique, and safe to write into audit rows since it cannot be turned back into the token.
    const tokenId = hashToken(token).toString('hex');
    const cached = this.cache.get(tokenId);
    if (cached) return cached;
    const ticket = this.cache.ticket();
    const row = await this.tokens.find(token);
    if (!row || row.kind !== 'access') throw new CscError('invalidToken');
    if (row.revokedAt || row.expiresAt.getTime() <= this.now()) throw new CscError('expiredToken');
    const grant: AccessGrant = { tokenId, userId: row.userId, clientId: row.clientId, scope: 'service', expiresAt: row.expiresAt };
    this.cache.put(tokenId, grant, ticket);
    return grant;
  }
}
