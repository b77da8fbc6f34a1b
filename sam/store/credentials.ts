// sam.credentials: the binding of an owner to a key in the HSM, its PIN hash, and its durable lockout state. Every
// row is sealed by the SAM (migration 015, sam/app/credential_seal.ts): each read here checks the seal, and each
// write of a sealed field writes a new one, so no use case can read a credential the SAM did not write.
import type { Approval, KeyAlgo, OtpChannel, Scal } from '../../core/sam_port.ts';
import type { Queryable } from './queryable.ts';

export type CredentialRecord = {
  credentialId: string;
  ownerId: string;
  keyId: string;
  keyAlgo: KeyAlgo;
  pssOnly: boolean;
  spki: Uint8Array;
  enabled: boolean;
  pinHash: string | null;
  /** Created without a PIN: waits for its owner's activation link and cannot be activated before (migration 016). */
  pinPending: boolean;
  /** Consecutive failures of each factor (migration 006); either reaching the limit locks the credential. */
  pinFailures: number;
  otpFailures: number;
  lockedAt: Date | null;
  notBefore: Date | null;
  notAfter: Date | null;
  /** Where the possession factor comes from (migration 003): TOTP, or a code sent by e-mail or SMS. */
  otpChannel: OtpChannel;
  /** 'async': approved out of band on a page (migration 004). */
  approval: Approval;
  /** Sole Control Assurance Level, kept and enforced by the SAM (migration 011): callers cannot lower it. */
  scal: Scal;
  /** Most signatures one authorization may cover (CSC v2 §11.5 multisign), enforced by the SAM (migration 011). */
  multisign: number;
  /** One transaction only (migration 018): deleted once an authorization of it is spent, or when it expires. */
  oneTime: boolean;
};

/** The fields the SAM's seal covers: everything that decides who may sign and how, but the failure counters. */
export type SealedFields = Pick<
  CredentialRecord,
  | 'credentialId' | 'ownerId' | 'keyId' | 'keyAlgo' | 'pssOnly' | 'spki' | 'enabled' | 'pinHash' | 'pinPending' | 'notBefore' | 'notAfter'
  | 'otpChannel' | 'approval' | 'scal' | 'multisign'
>;

export interface CredentialSeal {
  /** The seal of these fields (a signature made inside the HSM). */
  make(c: SealedFields): Promise<Buffer>;
  /** Throws SamError SAM_CREDENTIAL_TAMPERED unless `seal` is the SAM's seal of exactly these fields. */
  check(c: SealedFields, seal: Buffer | null): void;
}

export type CredentialRow = {
  credential_id: string;
  owner_id: string;
  key_id: string;
  key_algo: KeyAlgo;
  pss_only: boolean;
  spki: Buffer;
  enabled: boolean;
  pin_hash: string | null;
  pin_pending: boolean;
  pin_failures: number;
  otp_failures: number;
  locked_at: Date | null;
  not_before: Date | null;
  not_after: Date | null;
  otp_channel: OtpChannel;
  approval: Approval;
  scal: Scal;
  multisign: number;
  one_time: boolean;
  seal: Buffer | null;
};

export const CREDENTIAL_COLUMNS =
  'credential_id, owner_id, key_id, key_algo, pss_only, spki, enabled, pin_hash, pin_pending, pin_failures, otp_failures, locked_at, not_before, not_after, otp_channel, approval, scal, multisign, one_time, seal';

/** The record of a row whose seal holds (else SAM_CREDENTIAL_TAMPERED). */
export function credentialFromRow(r: CredentialRow, seal: CredentialSeal): CredentialRecord {
  const c = unchecked(r);
  seal.check(c, r.seal);
  return c;
}

function unchecked(r: CredentialRow): CredentialRecord {
  return {
    credentialId: r.credential_id,
    ownerId: r.owner_id,
    keyId: r.key_id,
    keyAlgo: r.key_algo,
    pssOnly: r.pss_only,
    spki: new Uint8Array(r.spki),
    enabled: r.enabled,
    pinHash: r.pin_hash,
    pinPending: r.pin_pending,
    pinFailures: r.pin_failures,
    otpFailures: r.otp_failures,
    lockedAt: r.locked_at,
    notBefore: r.not_before,
    notAfter: r.not_after,
    otpChannel: r.otp_channel,
    approval: r.approval,
    scal: r.scal,
    multisign: r.multisign,
    oneTime: r.one_time,
  };
}

export async function insertCredential(
  q: Queryable,
  seal: CredentialSeal,
  c: Omit<CredentialRecord, 'enabled' | 'pinPending' | 'pinFailures' | 'otpFailures' | 'lockedAt' | 'otpChannel' | 'approval' | 'oneTime'> & {
    otpChannel?: OtpChannel;
    approval?: Approval;
    oneTime?: boolean;
  },
): Promise<void> {
  // Created without a PIN: it waits for its activation link (migration 016).
  const row = { ...c, enabled: true, pinPending: c.pinHash === null, otpChannel: c.otpChannel ?? 'totp', approval: c.approval ?? 'inline' } satisfies SealedFields;
  await q.query(
    `INSERT INTO sam.credentials (credential_id, owner_id, key_id, key_algo, pss_only, spki, pin_hash, not_before, not_after, otp_channel, approval, scal, multisign, enabled, pin_pending, seal, one_time)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
    [row.credentialId, row.ownerId, row.keyId, row.keyAlgo, row.pssOnly, Buffer.from(row.spki), row.pinHash, row.notBefore, row.notAfter,
      row.otpChannel, row.approval, row.scal, row.multisign, row.enabled, row.pinPending, await seal.make(row), c.oneTime === true],
  );
}

export async function getCredential(q: Queryable, seal: CredentialSeal, credentialId: string): Promise<CredentialRecord | null> {
  return (await getSealedCredential(q, seal, credentialId))?.record ?? null;
}

/** The record, and the seal bytes it was checked against (sam/app/signing/recent_credentials.ts keeps both). */
export async function getSealedCredential(
  q: Queryable,
  seal: CredentialSeal,
  credentialId: string,
): Promise<{ record: CredentialRecord; seal: Buffer | null } | null> {
  const { rows } = await q.query<CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM sam.credentials WHERE credential_id = $1`, [credentialId]);
  return rows[0] ? { record: credentialFromRow(rows[0], seal), seal: rows[0].seal } : null;
}

/** The credentials whose seal holds; a tampered one is left out (and logged by the seal), not allowed to hide the
 *  others. */
export async function getCredentials(q: Queryable, seal: CredentialSeal, credentialIds: string[]): Promise<CredentialRecord[]> {
  const { rows } = await q.query<CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM sam.credentials WHERE credential_id = ANY($1::text[])`, [
    credentialIds,
  ]);
  return rows.flatMap((r) => {
    try {
      return [credentialFromRow(r, seal)];
    } catch (err) {
      if ((err as { code?: string }).code === 'SAM_CREDENTIAL_TAMPERED') return [];
      throw err;
    }
  });
}

/** The sealed fields a change may touch. */
export type SealedChange = Partial<Pick<SealedFields, 'enabled' | 'pinHash' | 'pinPending' | 'notBefore' | 'notAfter'>>;

/**
 * Read, check, change and seal again, as one compare-and-set on the old seal: two changes racing on one row never
 * leave it with a seal of neither. Returns false when the credential does not exist.
 */
export async function updateSealed(q: Queryable, seal: CredentialSeal, credentialId: string, change: SealedChange): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { rows } = await q.query<CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM sam.credentials WHERE credential_id = $1`, [credentialId]);
    if (!rows[0]) return false;
    const next = { ...credentialFromRow(rows[0], seal), ...change };
    const res = await q.query(
      `UPDATE sam.credentials SET enabled = $2, pin_hash = $3, pin_pending = $4, not_before = $5, not_after = $6, seal = $7
        WHERE credential_id = $1 AND seal = $8`,
      [credentialId, next.enabled, next.pinHash, next.pinPending, next.notBefore, next.notAfter, await seal.make(next), rows[0].seal],
    );
    if (res.rowCount === 1) return true;
  }
  throw new Error(`credential ${credentialId}: its row kept changing while it was being sealed`);
}

/** Rows as stored, seal unchecked: only for sealing them (the seal key's first start, sam/app/credential_seal.ts). */
export async function readUnchecked(q: Queryable, which: { ids: string[] } | 'unsealed'): Promise<CredentialRecord[]> {
  const { rows } =
    which === 'unsealed'
      ? await q.query<CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM sam.credentials WHERE seal IS NULL`)
      : await q.query<CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM sam.credentials WHERE credential_id = ANY($1::text[])`, [which.ids]);
  return rows.map(unchecked);
}

export async function writeSeal(q: Queryable, credentialId: string, seal: Buffer): Promise<void> {
  await q.query('UPDATE sam.credentials SET seal = $2 WHERE credential_id = $1', [credentialId, seal]);
}

/** Admin unlock: every factor's counter starts again from zero. The owner, for their per-user counter; null when
 *  there is no such credential. (Counters are not under the row's seal: a database writer can reset them anyway.) */
export async function unlockCredential(q: Queryable, credentialId: string): Promise<string | null> {
  const res = await q.query<{ owner_id: string }>(
    'UPDATE sam.credentials SET pin_failures = 0, otp_failures = 0, locked_at = NULL WHERE credential_id = $1 RETURNING owner_id',
    [credentialId],
  );
  return res.rows[0]?.owner_id ?? null;
}

/** The factors with a failure counter of their own (issue #4 item 4). A code sent out of band counts as OTP. */
export type Factor = 'pin' | 'otp';

/** The column of a factor's counter: a fixed name per factor, never built from input. */
const COUNTER: Record<Factor, string> = { pin: 'pin_failures', otp: 'otp_failures' };

/**
 * Counts an attempt at `factor` as failed before that factor is checked, and only while the credential is
 * unlocked and fewer than `max` failures of that factor are on record. Parallel guesses therefore cannot exceed
 * `max` checks of a factor in total: a guess that finds no slot is refused as locked. Returns false when no slot
 * is left: the credential is locked, or other attempts hold every slot for now.
 */
export async function reserveAttempt(q: Queryable, credentialId: string, factor: Factor, max: number): Promise<boolean> {
  const col = COUNTER[factor];
  const res = await q.query(
    `UPDATE sam.credentials SET ${col} = ${col} + 1
      WHERE credential_id = $1 AND locked_at IS NULL AND ${col} < $2`,
    [credentialId, max],
  );
  // No slot: refuse this attempt, but do not lock here. The slots may be held by attempts still in flight that
  // will turn out right (six parallel activations with the right PIN must not lock anyone out); only a confirmed
  // failure locks (confirmFailure). A counter left at or above a lowered limit keeps refusing until an unlock.
  return res.rowCount === 1;
}

/** The reserved attempt at `factor` failed: it stays counted, and the credential locks once that factor's count
 *  reaches `max`. */
export async function confirmFailure(
  q: Queryable,
  credentialId: string,
  factor: Factor,
  max: number,
  now: Date,
): Promise<{ failures: number; locked: boolean }> {
  const col = COUNTER[factor];
  const { rows } = await q.query<{ failures: number; locked: boolean }>(
    `UPDATE sam.credentials
        SET locked_at = CASE WHEN ${col} >= $2 THEN coalesce(locked_at, $3) ELSE locked_at END
      WHERE credential_id = $1
      RETURNING ${col} AS failures, locked_at IS NOT NULL AS locked`,
    [credentialId, max, now],
  );
  return rows[0] ?? { failures: max, locked: true };
}

/** The reserved attempt at `factor` is not a failure: its factor was right (while the activation failed on
 *  another), or it could not be judged (HSM or database trouble, so that an outage cannot lock credentials). */
export async function releaseAttempt(q: Queryable, credentialId: string, factor: Factor): Promise<void> {
  const col = COUNTER[factor];
  await q.query(`UPDATE sam.credentials SET ${col} = greatest(${col} - 1, 0) WHERE credential_id = $1 AND locked_at IS NULL`, [credentialId]);
}

/** The whole activation succeeded: consecutive failures of every factor start again from zero (DESIGN §2.1). With an
 *  authenticator app the reset goes with the claim of its time step (sam/store/otp.ts claimOtpStepAndReset). */
export async function resetFailures(q: Queryable, credentialId: string): Promise<void> {
  await q.query('UPDATE sam.credentials SET pin_failures = 0, otp_failures = 0 WHERE credential_id = $1 AND locked_at IS NULL', [credentialId]);
}

/** Removes the credential's row (its SADs, challenges and approvals go with it: ON DELETE CASCADE) and returns the
 *  key it was bound to; null when there is no such row. The audit trail keeps every reference to the id. */
export async function removeCredential(q: Queryable, credentialId: string): Promise<{ keyId: string; ownerId: string } | null> {
  const { rows } = await q.query<{ key_id: string; owner_id: string }>(
    'DELETE FROM sam.credentials WHERE credential_id = $1 RETURNING key_id, owner_id',
    [credentialId],
  );
  return rows[0] ? { keyId: rows[0].key_id, ownerId: rows[0].owner_id } : null;
}

/** One-time credentials whose certificate expired before `now`, oldest first, at most `limit`. */
export async function expiredOneTime(q: Queryable, now: Date, limit: number): Promise<string[]> {
  const { rows } = await q.query<{ credential_id: string }>(
    'SELECT credential_id FROM sam.credentials WHERE one_time AND not_after < $1 ORDER BY not_after LIMIT $2',
    [now, limit],
  );
  return rows.map((r) => r.credential_id);
}
