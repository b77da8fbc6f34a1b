// Keys of the authorization server: the JWKS it signs with (published at oauth2/jwks) and the keys of its signed
// cookies. Generated on first start and kept in PostgreSQL, so that a restart (or another instance) uses the same
// keys — regenerating them would invalidate every cookie and every signed artefact in flight. Rotation puts a new
// key in front; older keys stay for verification until retired.
//
// The table holds them sealed by the SAM (issue #14 finding 7, migration 004): a reader of the database could
// otherwise mint access tokens. Each row is sealed for its own kid and use under an AES key that never leaves the
// HSM, and opened once per start through the SAM port; a row that does not open stops the start
// (SAM_AUTHZ_SECRET_INVALID) rather than being skipped or replaced.
//
// Rows belong to the token that sealed them (`scope`, the SAM says which): a second token pointed at the same
// database (another DATA_DIR, parallel test servers) keeps keys of its own beside ours, as sam.ca does for its roots.
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { Db, DbClient } from '../../core/db.ts';
import type { Logger } from '../../core/log.ts';
import type { AuthzSecretRef, SealedAuthzSecret, SignatureActivation } from '../../core/sam_port.ts';

export type AsKeys = { jwks: { keys: Record<string, unknown>[] }; cookieKeys: string[] };

/** What keys.ts needs of the SAM port. */
export type SecretSealer = Pick<SignatureActivation, 'sealAuthzSecret' | 'openAuthzSecret'>;

type Use = AuthzSecretRef['use'];
const USES = ['sig', 'cookie'] as const;

/** The plaintext handed to the SAM is the JSON of the key: a JWK, or the cookie key's base64url string. It is the
 *  very text the `secret` column held before sealing, so that old rows seal as they stand. */
const toBytes = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value), 'utf8'));

async function newSecret(use: Use): Promise<{ kid: string; value: unknown }> {
  const kid = randomUUID();
  if (use === 'cookie') return { kid, value: randomBytes(32).toString('base64url') };
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, value: { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' } };
}

type NewKey = { kid: string; use: Use } & SealedAuthzSecret;

async function sealNew(sam: SecretSealer, use: Use): Promise<NewKey> {
  const { kid, value } = await newSecret(use);
  return { kid, use, ...(await sam.sealAuthzSecret({ kid, use, plaintext: toBytes(value) })) };
}

async function insert(q: Db | DbClient, k: NewKey): Promise<void> {
  await q.query('INSERT INTO authz.oauth_keys (kid, use, sealed, scope) VALUES ($1, $2, $3, $4)', [k.kid, k.use, k.sealed, k.scope]);
}

/** Seals rows written before migration 004 in place; returns how many. */
async function sealPlaintextRows(client: DbClient, sam: SecretSealer): Promise<number> {
  const { rows } = await client.query<{ kid: string; use: Use; secret: unknown }>(
    'SELECT kid, use, secret FROM authz.oauth_keys WHERE sealed IS NULL FOR UPDATE',
  );
  for (const r of rows) {
    const s = await sam.sealAuthzSecret({ kid: r.kid, use: r.use, plaintext: toBytes(r.secret) });
    await client.query('UPDATE authz.oauth_keys SET secret = NULL, sealed = $2, scope = $3 WHERE kid = $1', [r.kid, s.sealed, s.scope]);
  }
  return rows.length;
}

/** The key a row opened to, checked for its kind: the tag already proves the SAM sealed it for this row. */
function parseOpened(kid: string, use: Use, plaintext: Uint8Array): unknown {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(plaintext).toString('utf8'));
  } catch {
    v = undefined;
  }
  const jwk = v as Record<string, unknown> | undefined;
  const ok =
    use === 'cookie'
      ? typeof v === 'string' && v.length >= 32
      : !!jwk && typeof jwk === 'object' && jwk.kty === 'EC' && jwk.crv === 'P-256' && typeof jwk.d === 'string' && jwk.kid === kid;
  if (!ok) throw new Error(`authz.oauth_keys row ${kid} does not hold a ${use} key`);
  return v;
}

/** The live keys, newest first; creates the first ones when there are none (under an advisory lock, so two
 *  instances starting together agree on one key). */
export async function loadKeys(db: Db, sam: SecretSealer, log: Logger): Promise<AsKeys> {
  let scope: string;
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('authz.oauth_keys'))");
    // A first key of each kind, sealed before we know whether it is needed: the SAM's answer is also what tells this
    // instance its scope, and whether the wrap key has just been made.
    const fresh = { sig: await sealNew(sam, 'sig'), cookie: await sealNew(sam, 'cookie') };
    scope = fresh.sig.scope;
    if (fresh.sig.keyCreated || fresh.cookie.keyCreated) {
      // The HSM has just made the wrap key, so plaintext rows are from before sealing: seal them as they stand. At
      // any later start a plaintext row was written since, by whoever can write the table, and is never used.
      const n = await sealPlaintextRows(client, sam);
      if (n) log.info({ event: 'authz.oauth_keys.sealed', count: n }, 'keys of the authorization server sealed in place by the SAM');
    }
    for (const use of USES) {
      const { rowCount } = await client.query('SELECT 1 FROM authz.oauth_keys WHERE scope = $1 AND use = $2 AND retired_at IS NULL', [scope, use]);
      // The first key of its kind; never replaced on restart since it is now stored.
      if (!rowCount) await insert(client, fresh[use]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  const { rows: [plain] } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM authz.oauth_keys WHERE sealed IS NULL');
  if (plain!.n > 0) {
    log.error(
      { event: 'authz.oauth_keys.plaintext', count: plain!.n },
      'authz.oauth_keys has rows in plaintext, written after its keys were sealed: never used; delete them',
    );
  }
  const { rows } = await db.query<{ kid: string; use: Use; sealed: string | null }>(
    'SELECT kid, use, sealed FROM authz.oauth_keys WHERE scope = $1 AND retired_at IS NULL ORDER BY created_at DESC, kid',
    [scope],
  );
  const keys = await Promise.all(
    rows.map(async (r) => {
      // The table's CHECK pairs scope with sealed; a row of our scope without it is refused all the same.
      if (r.sealed === null) throw new Error(`authz.oauth_keys row ${r.kid} is not sealed`);
      const { plaintext } = await sam.openAuthzSecret({ kid: r.kid, use: r.use, sealed: r.sealed });
      return { use: r.use, value: parseOpened(r.kid, r.use, plaintext) };
    }),
  );
  return {
    jwks: { keys: keys.filter((k) => k.use === 'sig').map((k) => k.value as Record<string, unknown>) },
    cookieKeys: keys.filter((k) => k.use === 'cookie').map((k) => k.value as string),
  };
}

/** Adds a new signing key (and cookie key) in front; the service picks it up at its next start. Keys older than
 *  the previous one are retired, so at most two of each kind are live. */
export async function rotateKeys(db: Db, sam: SecretSealer): Promise<{ kid: string }> {
  let front = '';
  for (const use of USES) {
    const k = await sealNew(sam, use);
    await insert(db, k);
    if (use === 'sig') front = k.kid;
    await db.query(
      `UPDATE authz.oauth_keys SET retired_at = now() WHERE scope = $1 AND use = $2 AND retired_at IS NULL AND kid NOT IN (
         SELECT kid FROM authz.oauth_keys WHERE scope = $1 AND use = $2 AND retired_at IS NULL ORDER BY created_at DESC LIMIT 2)`,
      [k.scope, use],
    );
  }
  return { kid: front };
}
