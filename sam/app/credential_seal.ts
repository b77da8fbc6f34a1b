// The SAM's seal on a credential row (issue #14 finding 3, migration 015). The fields that decide who may sign and
// how are signed by an EC P-256 key inside the HSM whenever the SAM writes them, and the signature is checked on
// every read (sam/store/credentials.ts): a writer of PostgreSQL who swaps the owner, the PIN hash, the SCAL or the
// OTP channel, or re-enables a credential, makes it unusable instead of theirs. Checking costs no HSM round trip
// (the public key is cached), and a row already checked once in this process is recognised by its digest.
import { createHash, verify, type KeyObject } from 'node:crypto';
import { publicKeyOf } from '../ca/spki.ts';
import type { Db } from '../../core/db.ts';
import type { Logger } from '../../core/log.ts';
import { SamError } from '../../core/sam_port.ts';
import type { Hsm } from '../hsm/hsm.ts';
import { readUnchecked, writeSeal, type CredentialSeal, type SealedFields } from '../store/credentials.ts';

export const CREDENTIAL_SEAL_LABEL = 'rssp-credential-seal';

/** The signed bytes: every sealed field in a fixed order, under a version tag. */
function statement(c: SealedFields): Buffer {
  return Buffer.from(
    JSON.stringify([
      'rssp-credential-seal-v1',
      c.credentialId,
      c.ownerId,
      c.keyId,
      c.keyAlgo,
      c.pssOnly,
      Buffer.from(c.spki).toString('base64'),
      c.enabled,
      c.pinHash,
      c.pinPending,
      c.notBefore?.toISOString() ?? null,
      c.notAfter?.toISOString() ?? null,
      c.otpChannel,
      c.approval,
      c.scal,
      c.multisign,
    ]),
    'utf8',
  );
}

const VERIFIED_MAX = 10_000;

function sealWith(hsm: Hsm, keyId: string, publicKey: KeyObject, log: Logger): CredentialSeal {
  // Digests of (row, seal) pairs that verified: the hot path (signHash) checks a credential it saw a moment ago.
  const verified = new Set<string>();
  return {
    async make(c) {
      const digest = createHash('sha256').update(statement(c)).digest();
      return Buffer.from(await hsm.signDigest(keyId, { kind: 'ecdsa' }, digest));
    },
    check(c, seal) {
      if (seal) {
        const id = createHash('sha256').update(statement(c)).update(seal).digest('base64');
        if (verified.has(id)) return;
        let ok = false;
        try {
          ok = verify('sha256', statement(c), { key: publicKey, dsaEncoding: 'der' }, seal);
        } catch {
          ok = false;
        }
        if (ok) {
          if (verified.size >= VERIFIED_MAX) verified.clear();
          verified.add(id);
          return;
        }
      }
      log.error({ event: 'sam.credential.tampered', credentialID: c.credentialId, sealed: seal !== null }, 'credential row fails its seal');
      throw new SamError('SAM_CREDENTIAL_TAMPERED', seal ? 'the credential row does not match its seal' : 'the credential row has no seal');
    },
  };
}

/**
 * The seal key, created in the HSM on first start. Only then are rows without a seal sealed as they stand: they
 * were written before the seal existed (migration 015). The HSM, not the database, says whether this is that first
 * start, so a writer cannot blank a seal and wait for a restart to have the row sealed anew.
 */
export async function ensureCredentialSeal(hsm: Hsm, db: Db, log: Logger): Promise<CredentialSeal> {
  const found = await hsm.findKeyPair(CREDENTIAL_SEAL_LABEL);
  const pair = found ?? (await hsm.generateKeyPair({ algo: 'EC-P256', label: CREDENTIAL_SEAL_LABEL }));
  const publicKey = publicKeyOf(pair.spki);
  const seal = sealWith(hsm, pair.keyId, publicKey, log);
  if (!found) {
    const n = await sealRows(db, seal, 'unsealed');
    if (n > 0) log.info({ event: 'sam.credential.sealed', count: n }, 'credentials written before the seal existed are sealed');
  }
  return seal;
}

/** Seals rows as they stand now; returns how many. For the seal key's first start, and for tests that set a
 *  sealed field in SQL to stage a state (an expired certificate) the SAM would otherwise never write. */
export async function sealRows(db: Db, seal: CredentialSeal, which: { ids: string[] } | 'unsealed'): Promise<number> {
  const rows = await readUnchecked(db, which);
  for (const c of rows) await writeSeal(db, c.credentialId, await seal.make(c));
  return rows.length;
}
