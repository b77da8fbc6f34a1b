// Bearer tokens of the CSC API (CSC v2 §8.1) come from two issuers: auth/login (authz/token_verifier.ts) and the
// OAuth authorization server. The composite asks the first and, for a token it does not know, the second. A
// credential-scoped OAuth token carries the SAD its grant was issued with (DESIGN §2.2), so signHash needs no SAD
// parameter and the SAM applies exactly the checks of the explicit path. A token granted from CSC v2.2 RAR
// credential_creation / credential_deletion details (management_grants.ts) allows one call of its method: it is
// refused once spent (tokenAlreadyUsed), and spend() marks it used in the same conditional UPDATE that checks it.
import type Provider from 'oidc-provider';
import { CscError } from '../../core/errors.ts';
import type { AccessGrant, TokenVerifier } from '../../core/ports.ts';
import type { CredentialGrantStore } from './credential_grants.ts';
import type { ManagementGrantStore } from './management_grants.ts';
import { approvedCertificatePolicy } from './management_request.ts';
import { verifySealOwnerToken } from './seal_owner_token.ts';
import { boundTo } from './token_binding.ts';

const OPAQUE = /^[A-Za-z0-9_-]{20,128}$/;

export class OAuthTokenVerifier implements TokenVerifier {
  constructor(
    private readonly provider: Provider,
    private readonly grants: CredentialGrantStore,
    private readonly management: ManagementGrantStore,
  ) {}

  /** Unknown, revoked (destroyed) or expired tokens are all invalidToken: the adapter no longer returns them. */
  async verify(token: string): Promise<AccessGrant> {
    if (typeof token !== 'string' || !OPAQUE.test(token)) throw new CscError('invalidToken');
    const at = await this.provider.AccessToken.find(token);
    if (!at) {
      const seal = await verifySealOwnerToken(this.provider, token);
      if (seal) return seal;
    }
    if (!at || !at.accountId || !at.grantId || at.isExpired) throw new CscError('invalidToken');
    // The grant must still exist: revoking it (a replayed code, oauth2/revoke of the refresh token) ends its tokens.
    const grant = await this.provider.Grant.find(at.grantId);
    if (!grant) throw new CscError('invalidToken');
    const base = {
      tokenId: `oauth:${at.jti}`,
      userId: at.accountId,
      clientId: at.clientId!,
      expiresAt: new Date((at.exp ?? 0) * 1000),
      ...boundTo(at),
    };
    const scopes = String(at.scope ?? '').split(' ');
    // CSC v2 §8.4.2 scope: without scope and authorization_details the default is "service". Only an authorization
    // for scope "credential" (its parameters, or RAR details, which the mount gives that scope) left a grant row
    // of ours to look up: a service token costs no query here.
    if (!scopes.includes('credential')) return { ...base, scope: 'service' };
    const credential = await this.grants.find(at.grantId);
    if (credential) {
      if (credential.userId !== at.accountId || credential.clientId !== at.clientId) throw new CscError('invalidToken');
      return { ...base, scope: 'credential', credentialID: credential.credentialID, sad: credential.sad };
    }
    const manage = await this.management.find(at.grantId);
    if (manage) {
      if (manage.userId !== at.accountId || manage.clientId !== at.clientId) throw new CscError('invalidToken');
      if (manage.usedAt) throw new CscError('tokenAlreadyUsed');
      // A creation's certificate policy is the one in the details the person approved (management_request.ts).
      const certificatePolicy = manage.action === 'create' ? approvedCertificatePolicy(manage.authorizationDetails) : undefined;
      return manage.action === 'create'
        ? { ...base, scope: 'credential_creation', singleUse: manage.grantId, ...(certificatePolicy !== undefined ? { certificatePolicy } : {}) }
        : { ...base, scope: 'credential_deletion', credentialID: manage.credentialID!, singleUse: manage.grantId };
    }
    throw new CscError('invalidToken');
  }

  async spend(grant: AccessGrant): Promise<boolean> {
    if (!grant.singleUse || !grant.tokenId.startsWith('oauth:')) return false;
    if (!(await this.management.spend(grant.singleUse, grant.userId, grant.clientId))) throw new CscError('tokenAlreadyUsed');
    return true;
  }
}

/** auth/login tokens first (their table is the cheaper look-up), then OAuth tokens. */
export class CompositeTokenVerifier implements TokenVerifier {
  constructor(private readonly verifiers: TokenVerifier[]) {}

  async verify(token: string): Promise<AccessGrant> {
    let last: unknown;
    for (const v of this.verifiers) {
      try {
        return await v.verify(token);
      } catch (err) {
        if (!(err instanceof CscError) || err.code !== 'invalidToken') throw err;
        last = err;
      }
    }
    throw last ?? new CscError('invalidToken');
  }

  /** The first verifier that knows the grant spends it. */
  async spend(grant: AccessGrant): Promise<boolean> {
    for (const v of this.verifiers) if (v.spend && (await v.spend(grant))) return true;
    return false;
  }
}
