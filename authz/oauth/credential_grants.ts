// The SAD behind each credential-scoped grant (DESIGN §2.2: a credential-scoped access token carries or refers to
// a SAD). Written when the person confirms on the signature page and the SAM has minted the SAD; read when the
// token endpoint answers (to echo authorization_details and credentialID) and when a bearer token is verified.
import type { Db } from '../../core/db.ts';

export type CredentialGrant = {
  grantId: string;
  userId: string;
  clientId: string;
  credentialID: string;
  sad: string;
  authorizationDetails: Record<string, unknown>[] | null;
  expiresAt: Date;
};

type Row = {
  grant_id: string;
  user_id: string;
  client_id: string;
  credential_id: string;
  sad: string;
  authorization_details: Record<string, unknown>[] | null;
  expires_at: Date;
};

export class CredentialGrantStore {
  constructor(private readonly db: Db) {}

  async save(g: CredentialGrant): Promise<void> {
    await this.db.query(
      `INSERT INTO authz.oauth_credential_grants (grant_id, user_id, client_id, credential_id, sad, authorization_details, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [g.grantId, g.userId, g.clientId, g.credentialID, g.sad, g.authorizationDetails ? JSON.stringify(g.authorizationDetails) : null, g.expiresAt],
    );
  }

  async find(grantId: string): Promise<CredentialGrant | null> {
    const { rows } = await this.db.query<Row>('SELECT * FROM authz.oauth_credential_grants WHERE grant_id = $1', [grantId]);
    const r = rows[0];
    if (!r) return null;
    return {
      grantId: r.grant_id,
      userId: r.user_id,
      clientId: r.client_id,
      credentialID: r.credential_id,
      sad: r.sad,
      authorizationDetails: r.authorization_details,
      expiresAt: r.expires_at,
    };
  }
}
