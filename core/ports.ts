// Ports between the parts other than the SAM's (that one is core/sam_port.ts). rssp depends on these
// interfaces; authz implements them.
import type { RequestContext } from './sam_port.ts';

/** What a verified bearer token grants. */
export type AccessGrant = {
  /** Opaque id of the token (or its family), for audit and revocation. */
  tokenId: string;
  userId: string;
  /** The calling signature application. auth/login tokens have no OAuth client: their client id is
   *  `login:<token family id>`, so a SAD minted under one login session is useless to another. */
  clientId: string;
  /** CSC v2 §8.1 service or §8.4 credential; CSC v2.2 adds tokens granted from RAR credential_creation and
   *  credential_deletion details, each good for one credentials/create, resp. credentials/delete of `credentialID`. */
  scope: 'service' | 'credential' | 'credential_creation' | 'credential_deletion';
  /** For credential-scoped tokens (OAuth, issue #3): the credential and the SAD the token stands in for. For a
   *  credential_deletion token: the credential it may delete. */
  credentialID?: string;
  sad?: string;
  expiresAt: Date;
  /** RFC 9449 §6: the token is bound to a DPoP key, whose JWK thumbprint (RFC 7638) is `jkt`. The CSC API then
   *  accepts it only as `Authorization: DPoP` with a proof signed by that key (rssp/http/steps/dpop.ts). */
  cnf?: { jkt: string };
  /** Set on a token that allows one call only (credential_creation, credential_deletion): an opaque reference the
   *  method hands back to TokenVerifier.spend before it acts. */
  singleUse?: string;
  /** A credential_creation token whose authorization named a certificate policy (CSC v2.2
   *  credentialCreationRequest.certificatePolicy, an OID the CA issues under): the certificate is issued under it. */
  certificatePolicy?: string;
};

export interface TokenVerifier {
  /** Resolves a bearer token or throws CscError('invalidToken' | 'expiredToken' | 'tokenAlreadyUsed'). */
  verify(token: string): Promise<AccessGrant>;
  /** Spends a single-use grant (AccessGrant.singleUse), atomically: true when this call spent it, false when the
   *  verifier does not know it; throws CscError('tokenAlreadyUsed') when it was spent already. A verifier that
   *  issues no single-use tokens leaves it out. */
  spend?(grant: AccessGrant): Promise<boolean>;
}

export type User = {
  id: string;
  username: string;
  name: string | null;
  email: string | null;
  phone: string | null;
};

export interface UserDirectory {
  byId(id: string): Promise<User | null>;
  byUsername(username: string): Promise<User | null>;
}

export type LoginResult = {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
};

/** CSC v2 §11.2 auth/login and §11.3 auth/revoke, implemented by authz. */
export interface ServiceAuth {
  /** HTTP Basic credentials, or a refresh token from an earlier login with rememberMe. Throws CscError. */
  login(cmd: {
    basic?: { username: string; password: string };
    refreshToken?: string;
    rememberMe: boolean;
    sourceIp?: string;
    /** Who asked, for the audit trail (request id, IP, user agent). */
    ctx?: RequestContext;
  }): Promise<LoginResult>;

  /** Revokes `token` (access or refresh, per the hint) when it belongs to the caller's user. Throws CscError.
   *  Returns whose and which client's session it was, so that the SADs it led to can be revoked too. */
  revoke(cmd: { caller: AccessGrant; token: string; tokenTypeHint?: 'access_token' | 'refresh_token'; ctx?: RequestContext }): Promise<RevokedSession>;
}

/** The user and the client of a revoked token: the SADs minted for that pair are revoked with it. */
export type RevokedSession = { userId: string; clientId: string };

/** A message of the development outbox (sam/notify/outbox_notifier.ts), as `outbox:show` lists it. */
export type OutboxMessage = { at: string; channel: 'email' | 'sms'; to: string; username: string; subject: string; text: string };

/** Reads the development outbox, oldest first, optionally for one username. */
export type OutboxReader = (filter: { username?: string }) => Promise<OutboxMessage[]>;
