// The grants behind CSC v2.2 credential creation and deletion tokens (management_request.ts): written when the person
// confirms on the authorization page, read when the token endpoint answers (to echo authorization_details) and when
// a bearer token is verified, and spent by the one call the token allows.
import type { Db } from '../../core/db.ts';
import type { ManagementAction } from './management_request.ts';

export type ManagementGrant = {
  grantId: string;
  userId: string;
  clientId: string;
  action: ManagementAction;
  credentialID?: string;
  authorizationDetails: Record<string, unknown>[];
  usedAt?: Date;
  expiresAt: Date;
};

type Row = {
  grant_id: string;
  user_id: string;
  client_id: string;
  action: ManagementAction;
  credential_id: string | null;
  authorization_details: Record<string, unknown>[];
  used_at: Date | null;
  expires_at: Date;
};

export class ManagementGrantStore {
  constructor(private readonly db: Db) {}

  async save(g: Omit<ManagementGrant, 'usedAt'>): Promise<void> {
    await this.db.query(
      `INSERT INTO authz.oauth_management_grants (grant_id, user_id, client_id, action, credential_id, authorization_details, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [g.grantId, g.userId, g.clientId, g.action, g.credentialID ?? null, JSON.stringify(g.authorizationDetails), g.expiresAt],
    );
  }

  async find(grantId: string): Promise<ManagementGrant | null> {
    const { rows } = await this.db.query<Row>('SELECT * FROM authz.oauth_management_grants WHERE grant_id = $1', [grantId]);
    const r = rows[0];
    if (!r) return null;
    return {
      grantId: r.grant_id,
      userId: r.user_id,
      clientId: r.client_id,
      action: r.action,
      ...(r.credential_id !== null ? { credentialID: r.credential_id } : {}),
      authorizationDetails: r.authorization_details,
      ...(r.used_at ? { usedAt: r.used_at } : {}),
      expiresAt: r.expires_at,
    };
  }

  /** Marks the grant used by this user and client; false when it was used already (or is not theirs). */
  async spend(grantId: string, userId: string, clientId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE authz.oauth_management_grants SET used_at = now()
        WHERE grant_id = $1 AND user_id = $2 AND client_id = $3 AND used_at IS NULL AND expires_at > now()`,
      [grantId, userId, clientId],
    );
    return rowCount === 1;
  }
}
