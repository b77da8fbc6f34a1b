// CSC v2 §8.4 (end): tokens issued by the authorization server may also be revoked with the CSC method auth/revoke
// (§11.3), not only at oauth2/revoke. This wraps the auth/login implementation: a token it does not know is looked
// up among the OAuth tokens of the caller's user; an access token is destroyed, a refresh token ends its whole
// grant (RFC 7009 §2.1), as oauth2/revoke does.
import type Provider from 'oidc-provider';
import { CscError } from '../../core/errors.ts';
import { organisationOwnerId } from '../../core/owner.ts';
import type { ServiceAuth } from '../../core/ports.ts';
import type { OidcAdapter } from './adapters.ts';

/** `answered`: access tokens destroyed here, whose SADs the caller (auth/revoke) revokes itself, so that the
 *  provider's `access_token.destroyed` listener does not revoke them a second time. */
export function withOAuthRevocation(
  inner: ServiceAuth,
  provider: Provider,
  grants: Pick<OidcAdapter, 'revokeByGrantId'>,
  answered: WeakSet<object>,
): ServiceAuth {
  return {
    login: (cmd) => inner.login(cmd),
    async revoke(cmd) {
      try {
        return await inner.revoke(cmd);
      } catch (err) {
        if (!(err instanceof CscError) || err.code !== 'invalidTokenParameter' || typeof cmd.token !== 'string' || cmd.token.length > 256) throw err;
        const hint = cmd.tokenTypeHint;
        if (hint !== 'refresh_token') {
          const at = await provider.AccessToken.find(cmd.token);
          if (at && at.accountId === cmd.caller.userId) {
            answered.add(at);
            await at.destroy();
            return { userId: at.accountId, clientId: at.clientId! };
          }
          // An organisation's own token of the client credentials grant (CSC v2 §8.5.2.2).
          const cc = await provider.ClientCredentials.find(cmd.token);
          if (cc?.clientId && organisationOwnerId(cc.clientId) === cmd.caller.userId) {
            answered.add(cc);
            await cc.destroy();
            return { userId: cmd.caller.userId, clientId: cc.clientId };
          }
        }
        const rt = await provider.RefreshToken.find(cmd.token);
        if (rt && rt.accountId === cmd.caller.userId && rt.grantId) {
          await grants.revokeByGrantId(rt.grantId);
          await (await provider.Grant.find(rt.grantId))?.destroy();
          return { userId: rt.accountId, clientId: rt.clientId! };
        }
        throw err;
      }
    },
  };
}
