// sam.credentials: the binding of an owner to a key in the HSM, its PIN hash, and its durable lockout state.
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
};

export type CredentialRow = {
  credential_id: string;
  owner_id: string;
  key_id: string;
  key_algo: KeyAlgo;
  pss_only: boolean;
  spki: Buffer;
  enabled: boolean;
  pin_hash: string | null;
  pin_failures: number;
  otp_failures: number;
  locked_at: Date | null;
  not_before: Date | null;
  not_after: Date | null;
  otp_channel: OtpChannel;
  approval: Approval;
  scal: Scal;
  multisign: number;
};

export const CREDENTIAL_COLUMNS =
  'credential_id, owner_id, key_id, key_algo, pss_only, spki, enabled, pin_hash, pin_failures, otp_failures, locked_at, not_before, not_after, otp_channel, approval, scal, multisign';

export function credentialFromRow(r: CredentialRow): CredentialRecord {
  return {
    credentialId: r.credential_id,
    ownerId: r.owner_id,
    keyId: r.key_id,
    keyAlgo: r.key_algo,
    pssOnly: r.pss_only,
    spki: new Uint8Array(r.spki),
    enabled: r.enabled,
    pinHash: r.pin_hash,
    pinFailures: r.pin_failures,
    otpFailures: r.otp_failures,
    lockedAt: r.locked_at,
    notBefore: r.not_before,
    notAfter: r.not_after,
    otpChannel: r.otp_channel,
    approval: r.approval,
    scal: r.scal,
    multisign: r.multisign,
  };
}

export async function insertCredential(
  q: Queryable,
  c: Omit<CredentialRecord, 'enabled' | 'pinFailures' | 'otpFailures' | 'lockedAt' | 'otpChannel' | 'approval'> & { otpChannel?: OtpChannel; approval?: Approval },
): Promise<void> {
  await q.query(
    `INSERT INTO sam.credentials (credential_id, owner_id, key_id, key_algo, pss_only, spki, pin_hash, not_before, not_after, otp_channel, approval, scal, multisign)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [c.credentialId, c.ownerId, c.keyId, c.keyAlgo, c.pssOnly, Buffer.from(c.spki), c.pinHash, c.notBefore, c.notAfter, c.otpChannel ?? 'totp', c.approval ?? 'inline', c.scal, c.multisign],
  );
}

export async function getCredential(q: Queryable, credentialId: string): Promise<CredentialRecord | null> {
  const { rows } = await q.query<CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM sam.credentials WHERE credential_id = $1`, [credentialId]);
  return rows[0] ? credentialFromRow(rows[0]) : null;
}

export async function getCredentials(q: Queryable, credentialIds: string[]): Promise<CredentialRecord[]> {
  const { rows } = await q.query<CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM sam.credentials WHERE credential_id = ANY($1::text[])`, [
    credentialIds,
  ]);
  return rows.map(credentialFromRow);
}

/** Returns false when the credential does not exist. */
export async function setCredentialEnabled(q: Queryable, credentialId: string, enabled: boolean): Promise<boolean> {
  const res = await q.query('UPDATE sam.credentials SET enabled = $2 WHERE credential_id = $1', [credentialId, enabled]);
  return res.rowCount === 1;
}

export async function setCredentialValidity(q: Queryable, credentialId: string, notBefore: Date, notAfter: Date): Promise<boolean> {
  const res = await q.query('UPDATE sam.credentials SET not_before = $2, not_after = $3 WHERE credential_id = $1', [
    credentialId,
    notBefore,
    notAfter,
  ]);
  return res.rowCount === 1;
}

/** Admin unlock: every factor's counter starts again from zero. */
export async function unlockCredential(q: Queryable, credentialId: string): Promise<boolean> {
  const res = await q.query('UPDATE sam.credentials SET pin_failures = 0, otp_failures = 0, locked_at = NULL WHERE credential_id = $1', [
    credentialId,
  ]);
  return res.rowCount === 1;
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

/** The whole activation succeeded: consecutive failures of every factor start again from zero (DESIGN §2.1). */
export async function resetFailures(q: Queryable, credentialId: string): Promise<void> {
  await q.query('UPDATE sam.credentials SET pin_failures = 0, otp_failures = 0 WHERE credential_id = $1 AND locked_at IS NULL', [credentialId]);
}
