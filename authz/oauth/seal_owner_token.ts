// The access token of the client credentials grant (CSC v2 §8.5.2.2): the organisation authenticates as itself and
// no person is involved. rssp sees it as a service token whose owner is the organisation (core/owner.ts), so
// credentials/list shows that organisation's seals and ownership checks refuse everything else.
import type Provider from 'oidc-provider';
import { CscError } from '../../core/errors.ts';
import { organisationOwnerId } from '../../core/owner.ts';
import type { AccessGrant } from '../../core/ports.ts';
import { CLIENT_CREDENTIALS } from './clients.ts';
import { boundTo } from './token_binding.ts';

/** The grant of a client credentials token, or null when `token` is not one (then it is no token at all). */
export async function verifySealOwnerToken(provider: Provider, token: string): Promise<AccessGrant | null> {
  const cc = await provider.ClientCredentials.find(token);
  if (!cc) return null;
  if (cc.isExpired || !cc.clientId) throw new CscError('invalidToken');
  // The client must still exist and still be a seal owner: deleting it (or removing the mark) ends its tokens.
  const client = await provider.Client.find(cc.clientId);
  if (!client || !client.grantTypeAllowed(CLIENT_CREDENTIALS)) throw new CscError('invalidToken');
  // Only the service scope: a seal's key is reached through credentials/authorize, never by this token alone.
  const scopes = String(cc.scope ?? '').split(' ').filter(Boolean);
  if (scopes.some((s) => s !== 'service')) throw new CscError('invalidToken');
  return {
    tokenId: `oauth:${cc.jti}`,
    userId: organisationOwnerId(cc.clientId),
    clientId: cc.clientId,
    scope: 'service',
    expiresAt: new Date((cc.exp ?? 0) * 1000),
    ...boundTo(cc),
  };
}
