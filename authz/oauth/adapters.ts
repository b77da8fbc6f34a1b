// Storage of the authorization server's models (oidc-provider adapter interface). Durable and single-use models
// (clients, grants, codes, tokens, PAR requests, client-assertion jti) go to PostgreSQL, the system of record;
// sessions and interactions, which may be lost at the cost of signing in again, go to the Kv (Redis, or the
// in-process store under embedded defaults) — DESIGN §3.
import { CSC_ERRORS } from '../../core/errors.ts';
import { isDatabaseUnavailable, type Db } from '../../core/db.ts';
import type { Kv } from '../../core/kv.ts';

export type Payload = Record<string, unknown> & { grantId?: string; uid?: string; consumed?: number; exp?: number };

/** What oidc-provider calls on each model's adapter. */
export interface OidcAdapter {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** Models that may be lost (DESIGN §3); everything else is durable. */
const KV_MODELS = new Set(['Session', 'Interaction']);

const epoch = () => Math.floor(Date.now() / 1000);

export class PgModelAdapter implements OidcAdapter {
  constructor(
    private readonly db: Db,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
    await this.db.query(
      `INSERT INTO authz.oauth_models (model, id, payload, grant_id, uid, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
         uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
      [this.model, id, JSON.stringify(payload), payload.grantId ?? null, payload.uid ?? null, expiresAt],
    );
  }

  async find(id: string): Promise<Payload | undefined> {
    const { rows } = await this.db.query<{ payload: Payload; consumed_at: Date | null }>(
      `SELECT payload, consumed_at FROM authz.oauth_models
       WHERE model = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > now())`,
      [this.model, id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    const { rows } = await this.db.query<{ id: string }>('SELECT id FROM authz.oauth_models WHERE model = $1 AND uid = $2', [this.model, uid]);
    return rows[0] ? this.find(rows[0].id) : undefined;
  }

  async findByUserCode(): Promise<Payload | undefined> {
    return undefined; // no device flow
  }

  /** First consumption wins; the time of that first consumption is kept, so a replay is seen as one. */
  async consume(id: string): Promise<void> {
    await this.db.query('UPDATE authz.oauth_models SET consumed_at = now() WHERE model = $1 AND id = $2 AND consumed_at IS NULL', [
      this.model,
      id,
    ]);
  }

  async destroy(id: string): Promise<void> {
    await this.db.query('DELETE FROM authz.oauth_models WHERE model = $1 AND id = $2', [this.model, id]);
  }

  /** Called when a grant is revoked (a replayed code, a revoked refresh token): every artefact of the grant goes,
   *  of every model, not only this adapter's. */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.query('DELETE FROM authz.oauth_models WHERE grant_id = $1', [grantId]);
    // The SAD behind a revoked grant is not needed any more; its token is gone with the line above.
    await this.db.query('DELETE FROM authz.oauth_credential_grants WHERE grant_id = $1', [grantId]);
    await this.db.query('DELETE FROM authz.oauth_management_grants WHERE grant_id = $1', [grantId]);
  }
}

export class KvModelAdapter implements OidcAdapter {
  constructor(
    private readonly kv: Kv,
    private readonly model: string,
  ) {}

  private key(id: string) {
    return `oidc:${this.model}:${id}`;
  }

  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    const ttl = Math.max(1, expiresIn ?? 3600);
    await this.kv.set(this.key(id), JSON.stringify(payload), ttl);
    if (payload.uid) await this.kv.set(this.key(`uid:${payload.uid}`), id, ttl);
  }

  async find(id: string): Promise<Payload | undefined> {
    const raw = await this.kv.get(this.key(id));
    if (!raw) return undefined;
    const payload = JSON.parse(raw) as Payload;
    if (payload.exp !== undefined && payload.exp <= epoch()) return undefined;
    return payload;
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    const id = await this.kv.get(this.key(`uid:${uid}`));
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(): Promise<Payload | undefined> {
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const payload = await this.find(id);
    if (payload) await this.upsert(id, { ...payload, consumed: epoch() }, Math.max(1, (payload.exp ?? epoch() + 60) - epoch()));
  }

  async destroy(id: string): Promise<void> {
    await this.kv.del(this.key(id));
  }

  async revokeByGrantId(): Promise<void> {
    // Sessions and interactions are not issued under a grant.
  }
}

/** What oidc-provider answers when a store is away: its error handler exposes an error with a status below 500 only,
 *  so `expose` is set by hand; the endpoint then answers 503 {"error":"temporarily_unavailable"} (RFC 6749 §4.1.2.1)
 *  instead of a 500 "server_error", as the CSC API does (storeUnavailable). */
class StoreUnavailable extends Error {
  readonly expose = true;
  readonly status = 503;
  readonly statusCode = 503;
  readonly error = CSC_ERRORS.storeUnavailable.error;
  readonly error_description = CSC_ERRORS.storeUnavailable.description;
  constructor(cause: unknown) {
    super(CSC_ERRORS.storeUnavailable.error, { cause });
  }
}

/** Every call of `adapter`, with a lost store turned into StoreUnavailable. A Kv call fails when Redis is away (a
 *  corrupt payload, a SyntaxError, stays a server error); PostgreSQL errors are mapped only when they say the
 *  database cannot be reached. */
function failingAs503(adapter: OidcAdapter, unavailable: (err: unknown) => boolean): OidcAdapter {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (err) {
        throw unavailable(err) ? new StoreUnavailable(err) : err;
      }
    };
  return {
    upsert: wrap(adapter.upsert.bind(adapter)),
    find: wrap(adapter.find.bind(adapter)),
    findByUid: wrap(adapter.findByUid.bind(adapter)),
    findByUserCode: wrap(adapter.findByUserCode.bind(adapter)),
    consume: wrap(adapter.consume.bind(adapter)),
    destroy: wrap(adapter.destroy.bind(adapter)),
    revokeByGrantId: wrap(adapter.revokeByGrantId.bind(adapter)),
  };
}

/** The adapter factory oidc-provider takes: one adapter per model name. */
export function adapterFactory(db: Db, kv: Kv): (model: string) => OidcAdapter {
  return (model) =>
    KV_MODELS.has(model)
      ? failingAs503(new KvModelAdapter(kv, model), (err) => !(err instanceof SyntaxError))
      : failingAs503(new PgModelAdapter(db, model), isDatabaseUnavailable);
}
