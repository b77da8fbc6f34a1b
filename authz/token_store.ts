// Opaque bearer and refresh tokens of auth/login (CSC v2 §11.2 Note 24: opaque to the client). A token is 32
// random bytes in base64url; only its SHA-256 is stored, so the table alone lets nobody call the API. A stolen
// row is useless and a stolen token is checked against PostgreSQL, the system of record (DESIGN §3).
import { createHash, randomBytes } from 'node:crypto';
import { prepared, type Db, type DbClient } from '../core/db.ts';

export type TokenKind = 'access' | 'refresh';

export type TokenRow = {
  hash: Buffer;
  kind: TokenKind;
  familyId: string;
  userId: string;
  clientId: string;
  scope: string;
  expiresAt: Date;
  revokedAt: Date | null;
};

/** 32 bytes in base64url without padding are exactly 43 characters of this alphabet. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

type Queryable = Db | DbClient;

type Row = {
  token_hash: Buffer;
  kind: TokenKind;
  family_id: string;
  user_id: string;
  client_id: string;
  scope: string;
  expires_at: Date;
  revoked_at: Date | null;
};

const toRow = (r: Row): TokenRow => ({
  hash: r.token_hash,
  kind: r.kind,
  familyId: r.family_id,
  userId: r.user_id,
  clientId: r.client_id,
  scope: r.scope,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

export class TokenStore {
  constructor(private readonly db: Db) {}

  /** Mints a token and stores its hash; returns the token itself, which exists nowhere else from now on. */
  async issue(
    q: Queryable,
    t: { kind: TokenKind; familyId: string; userId: string; clientId: string; scope: string; expiresAt: Date },
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await q.query(
      `INSERT INTO authz.tokens (token_hash, kind, family_id, user_id, client_id, scope, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [hashToken(token), t.kind, t.familyId, t.userId, t.clientId, t.scope, t.expiresAt],
    );
    return token;
  }

  /** Looks a token up by its hash; null for anything malformed or unknown. `forUpdate` locks the row so that two
   *  concurrent rotations of one refresh token cannot both succeed. */
  async find(token: string, q: Queryable = this.db, forUpdate = false): Promise<TokenRow | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const { rows } = await q.query<Row>(
      prepared(
        `SELECT token_hash, kind, family_id, user_id, client_id, scope, expires_at, revoked_at
         FROM authz.tokens WHERE token_hash = $1${forUpdate ? ' FOR UPDATE' : ''}`,
        [hashToken(token)],
      ),
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** Marks one token revoked; a token already revoked keeps its first revocation time. */
  async revoke(hash: Buffer, at: Date, q: Queryable = this.db): Promise<void> {
    await q.query('UPDATE authz.tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL', [hash, at]);
  }

  /** Revokes every token of a login family: the refresh tokens and the access tokens minted from them. */
  async revokeFamily(familyId: string, at: Date, q: Queryable = this.db): Promise<number> {
    const { rowCount } = await q.query('UPDATE authz.tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL', [
      familyId,
      at,
    ]);
    return rowCount ?? 0;
  }
}
