// Keys of the authorization server: the JWKS it signs with (published at oauth2/jwks) and the keys of its signed
// cookies. Generated on first start and kept in PostgreSQL, so that a restart (or another instance) uses the same
// keys — regenerating them would invalidate every cookie and every signed artefact in flight. Rotation puts a new
// key in front; older keys stay for verification until retired.
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { Db, DbClient } from '../../core/db.ts';

export type AsKeys = { jwks: { keys: Record<string, unknown>[] }; cookieKeys: string[] };

async function newSigningKey(): Promise<{ kid: string; jwk: Record<string, unknown> }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
  return { kid, jwk };
}

async function insert(db: Db | DbClient, use: 'sig' | 'cookie'): Promise<void> {
  if (use === 'sig') {
    const { kid, jwk } = await newSigningKey();
    await db.query('INSERT INTO authz.oauth_keys (kid, use, secret) VALUES ($1, $2, $3)', [kid, use, JSON.stringify(jwk)]);
  } else {
    await db.query('INSERT INTO authz.oauth_keys (kid, use, secret) VALUES ($1, $2, $3)', [
      randomUUID(),
      use,
      JSON.stringify(randomBytes(32).toString('base64url')),
    ]);
  }
}

/** The live keys, newest first; creates the first ones when there are none (under an advisory lock, so two
 *  instances starting together agree on one key). */
export async function loadKeys(db: Db): Promise<AsKeys> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('authz.oauth_keys'))");
    for (const use of ['sig', 'cookie'] as const) {
      const { rowCount } = await client.query('SELECT 1 FROM authz.oauth_keys WHERE use = $1 AND retired_at IS NULL', [use]);
      if (!rowCount) {
        // The first key of its kind; never replaced on restart since it is now stored.
        await insert(client, use);
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  const { rows } = await db.query<{ use: string; secret: unknown }>(
    'SELECT use, secret FROM authz.oauth_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid',
  );
  return {
    jwks: { keys: rows.filter((r) => r.use === 'sig').map((r) => r.secret as Record<string, unknown>) },
    cookieKeys: rows.filter((r) => r.use === 'cookie').map((r) => r.secret as string),
  };
}

/** Adds a new signing key (and cookie key) in front; the service picks it up at its next start. Keys older than
 *  the previous one are retired, so at most two of each kind are live. */
export async function rotateKeys(db: Db): Promise<{ kid: string }> {
  for (const use of ['sig', 'cookie'] as const) {
    await insert(db, use);
    await db.query(
      `UPDATE authz.oauth_keys SET retired_at = now() WHERE use = $1 AND retired_at IS NULL AND kid NOT IN (
         SELECT kid FROM authz.oauth_keys WHERE use = $1 AND retired_at IS NULL ORDER BY created_at DESC LIMIT 2)`,
      [use],
    );
  }
  const { rows } = await db.query<{ kid: string }>(
    "SELECT kid FROM authz.oauth_keys WHERE use = 'sig' AND retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1",
  );
  return { kid: rows[0]!.kid };
}
