// The verifier of audit exports (core/audit_chain.ts) on hand-built chains: the problems it names and the order it
// names them in, without a database. The SQL side of the same encoding is pinned by test/unit/sam/audit_chain.test.ts.
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_FORMAT,
  checkpointDigest,
  checkpointStatement,
  parseAnchors,
  recordHash,
  verifyAuditExport,
  type AuditCheckpointLine,
  type AuditHeaderLine,
  type AuditLine,
  type AuditRecordLine,
} from '../../../core/audit_chain.ts';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { jwkThumbprint } from '../../../core/jwk_thumbprint.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const KID = jwkThumbprint(publicKey); // as sam/audit/audit_key.ts names the checkpoint key

function record(seq: number, prevHash: string, over: Partial<AuditRecordLine> = {}): AuditRecordLine {
  const r: AuditRecordLine = {
    type: 'record', id: String(seq + 100), seq, prevHash, hash: null, at: `2026-01-01T00:00:0${seq % 10}.000Z`,
    event: 'sign', result: 'ok', errorCode: null, userId: 'u', clientId: 'c', credentialID: 'cred', hashAlg: null,
    signAlgo: null, hashes: ['aGk='], sadJti: 'j', numSignatures: 1, amr: ['pwd', 'otp'], requestId: `r${seq}`,
    sourceIp: '203.0.113.1', userAgent: 'ua', detail: null, ...over,
  };
  return { ...r, hash: recordHash(r) };
}

function checkpoint(seq: number, hash: string): AuditCheckpointLine {
  const c = { seq, hash, at: '2026-01-01T00:01:00.000Z' };
  return { type: 'checkpoint', ...c, kid: KID, signature: sign('sha256', checkpointStatement(c), { key: privateKey, dsaEncoding: 'der' }).toString('base64') };
}

/** Version 2 checkpoints (migration 014) over `records` at the given seqs, each naming the one before it. */
function linkedCheckpoints(records: AuditRecordLine[], seqs: number[]): AuditCheckpointLine[] {
  const out: AuditCheckpointLine[] = [];
  for (const seq of seqs) {
    const before = out.at(-1);
    const c = {
      seq,
      hash: records[seq - 1]!.hash!,
      at: `2026-01-01T00:02:0${seq % 10}.000Z`,
      prevSeq: before?.seq ?? 0,
      prev: before ? checkpointDigest(before) : '0'.repeat(64),
    };
    out.push({ type: 'checkpoint', ...c, kid: KID, signature: sign('sha256', checkpointStatement(c), { key: privateKey, dsaEncoding: 'der' }).toString('base64') });
  }
  return out;
}

/** A chain of n records and a checkpoint on its head. */
function chain(n: number): { header: AuditHeaderLine; records: AuditRecordLine[]; cp: AuditCheckpointLine } {
  const records: AuditRecordLine[] = [];
  let prev = '0'.repeat(64);
  for (let s = 1; s <= n; s++) {
    const r = record(s, prev);
    records.push(r);
    prev = r.hash!;
  }
  const header: AuditHeaderLine = { type: 'header', format: AUDIT_FORMAT, exportedAt: '', headSeq: n, fromSeq: 1, filter: {}, keys: [{ kid: KID, spki }] };
  return { header, records, cp: checkpoint(n, prev) };
}

const verify = (lines: AuditLine[]) => verifyAuditExport(lines);

describe('verifyAuditExport', () => {
  it('passes an intact chain with its signed head', () => {
    const { header, records, cp } = chain(5);
    expect(verify([header, ...records, cp])).toEqual({ intact: true, records: 5, checkpoints: 1, signedUpTo: 5, problems: [] });
  });

  it('names the last record deleted: the head says there was one more', () => {
    const { header, records, cp } = chain(5);
    const v = verify([header, ...records.slice(0, 4), cp]);
    expect(v.problems[0]).toEqual({ kind: 'deleted', seq: 5, message: 'record seq 5 was deleted' });
  });

  it('names a row beyond the head as inserted, even when it chains and hashes right', () => {
    const { header, records, cp } = chain(3);
    const extra = record(4, records[2]!.hash!);
    const v = verify([header, ...records, extra, cp]);
    expect(v.problems).toEqual([{ kind: 'inserted', seq: 4, id: '104', message: 'record seq 4 (id 104) was inserted: it lies beyond the chain head (seq 3)' }]);
  });

  it('names two deleted records in a row as one span, and the first altered record before later problems', () => {
    const { header, records, cp } = chain(8);
    const altered = { ...records[1]!, userId: 'mallory' };
    const v = verify([header, records[0]!, altered, records[2]!, records[3]!, records[6]!, records[7]!, cp]);
    expect(v.problems.map((p) => p.message)).toEqual([
      'record seq 2 was altered: its content does not match its hash',
      'record seq 5 was deleted (and 1 after it, up to seq 6)',
    ]);
  });

  it('follows the chain across omitted records, and still catches a checkpoint signed by another key', () => {
    const { header, records, cp } = chain(4);
    const omitted = { type: 'omitted' as const, id: '102', seq: 2, prevHash: records[1]!.prevHash, hash: records[1]!.hash };
    expect(verify([header, records[0]!, omitted, records[2]!, records[3]!, cp]).intact).toBe(true);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const v = verifyAuditExport([header, ...records, cp], { trustedKeys: [{ kid: KID, spki: other }] });
    expect(v.problems).toHaveLength(2);
    expect(v.problems).toContainEqual({ kind: 'key', message: `the key listed under kid ${KID} is not the key that kid names (RFC 7638 thumbprint)` });
    expect(v.problems).toContainEqual({ kind: 'checkpoint', seq: 4, message: `checkpoint at seq 4 was altered: its signature does not verify (unknown key ${KID})` });
  });

  it('refuses a forged export re-signed with another key listed under the real kid, even with that kid pinned', () => {
    // The forger rewrites a record, re-chains everything after it and signs a new checkpoint with a key of their
    // own, then lists that key in the header under the genuine kid (what `audit:verify --kid` used to trust).
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const r1 = record(1, '0'.repeat(64), { userId: 'mallory' });
    const r2 = record(2, r1.hash!);
    const c = { seq: 2, hash: r2.hash!, at: '2026-01-01T00:00:00.000Z' };
    const forgedCp: AuditCheckpointLine = { type: 'checkpoint', ...c, kid: KID, signature: sign('sha256', checkpointStatement(c), { key: forger.privateKey, dsaEncoding: 'der' }).toString('base64') };
    const forgedSpki = forger.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const header: AuditHeaderLine = { type: 'header', format: AUDIT_FORMAT, exportedAt: '', headSeq: 2, fromSeq: 1, filter: {}, keys: [{ kid: KID, spki: forgedSpki }] };
    const pinned = header.keys.filter((k) => k.kid === KID); // what the CLI does with --kid
    const v = verifyAuditExport([header, r1, r2, forgedCp], { trustedKeys: pinned });
    expect(v.intact).toBe(false);
    expect(v.signedUpTo).toBe(0);
    expect(v.problems).toContainEqual({ kind: 'key', message: `the key listed under kid ${KID} is not the key that kid names (RFC 7638 thumbprint)` });
    // The same export under the forger's own thumbprint verifies as a chain, but not under the pinned real kid.
    const honest = verifyAuditExport([{ ...header, keys: [{ kid: jwkThumbprint(forger.publicKey), spki: forgedSpki }] }, r1, r2, forgedCp], { trustedKeys: pinned });
    expect(honest.intact).toBe(false);
  });

  it('computes the RFC 7638 thumbprint as jose does, for EC and RSA keys', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    for (const k of [publicKey, rsa]) expect(jwkThumbprint(k)).toBe(await calculateJwkThumbprint(await exportJWK(k), 'sha256'));
  });

  it('refuses what is not an export', () => {
    expect(verify([]).problems).toEqual([{ kind: 'format', message: `not an ${AUDIT_FORMAT} export (no header line)` }]);
  });

  describe('checkpoints that name their predecessor, and anchors kept outside the database (issue #14 finding 2)', () => {
    const { header, records } = chain(6);
    const h = { ...header, exportedAt: '2026-01-02T00:00:00.000Z' };
    const cps = linkedCheckpoints(records, [2, 4, 6]);

    it('passes the linked checkpoints, and the anchors when the export holds them all', () => {
      expect(verify([h, ...records, ...cps])).toMatchObject({ intact: true, checkpoints: 3, signedUpTo: 6 });
      expect(verifyAuditExport([h, ...records, ...cps], { anchors: cps })).toMatchObject({ intact: true, problems: [] });
    });

    it('names a checkpoint deleted from between two others', () => {
      const v = verify([h, ...records, cps[0]!, cps[2]!]);
      expect(v.intact).toBe(false);
      expect(v.problems).toEqual([
        { kind: 'checkpoint', seq: 4, message: 'checkpoint at seq 4 was deleted: the checkpoint at seq 6 names it as its predecessor' },
      ]);
    });

    it('names the first checkpoint deleted from a whole export', () => {
      const v = verify([h, ...records, cps[1]!, cps[2]!]);
      expect(v.problems).toEqual([
        { kind: 'checkpoint', seq: 2, message: 'checkpoint at seq 2 was deleted: the checkpoint at seq 4 names it as its predecessor' },
      ]);
    });

    it('accepts a partial export that starts after the first checkpoint, its predecessor outside the span', () => {
      const partial = { ...h, fromSeq: 5 };
      expect(verify([partial, ...records.slice(4), cps[2]!])).toMatchObject({ intact: true, problems: [] });
    });

    it('cannot see the newest checkpoint deleted with the records it covered, but its anchor can', () => {
      // What a database writer can do: cut the last two records and the checkpoint on them, and set the head back.
      const cut = { ...h, headSeq: 4 };
      const lines = [cut, ...records.slice(0, 4), cps[0]!, cps[1]!];
      expect(verify(lines).intact).toBe(true);
      const v = verifyAuditExport(lines, { anchors: cps });
      expect(v.intact).toBe(false);
      expect(v.problems).toEqual([
        { kind: 'deleted', seq: 5, message: 'records after seq 4 were deleted: a checkpoint anchored outside the database signed the chain up to seq 6' },
      ]);
    });

    it('names an anchored checkpoint missing from the export, and checks the chain against the anchor', () => {
      const v = verifyAuditExport([h, ...records, cps[0]!, cps[1]!], { anchors: cps });
      expect(v.problems).toEqual([{ kind: 'checkpoint', seq: 6, message: 'checkpoint at seq 6 was deleted: it is anchored outside the database' }]);
      expect(v.signedUpTo).toBe(6);
      const rewritten = [...records.slice(0, 5), record(6, records[4]!.hash!, { userAgent: 'forged' })];
      const w = verifyAuditExport([h, ...rewritten, cps[0]!, cps[1]!], { anchors: cps });
      expect(w.problems.map((p) => p.message)).toEqual([
        'records seq 5 to 6 were rewritten: the chain no longer reaches the head signed at seq 6',
        'checkpoint at seq 6 was deleted: it is anchored outside the database',
      ]);
    });

    it('ignores anchors written after the export, and refuses an anchor that does not verify', () => {
      const later = linkedCheckpoints(records, [2, 4, 6]).map((c) => ({ ...c }));
      const early = { ...h, exportedAt: '2026-01-02T00:00:00.000Z', headSeq: 4 };
      const afterExport = { ...cps[2]!, at: '2026-01-03T00:00:00.000Z' };
      // Its signature no longer verifies (at changed): named, not trusted.
      const v = verifyAuditExport([early, ...records.slice(0, 4), cps[0]!, cps[1]!], { anchors: [later[0]!, afterExport] });
      expect(v.problems).toEqual([
        { kind: 'checkpoint', seq: 6, message: 'the anchored checkpoint at seq 6 does not verify: the anchor was altered or its key is not trusted' },
      ]);
    });

    it('reads an anchor file line by line and refuses a line that is not a checkpoint', () => {
      const text = cps.map((c) => JSON.stringify(c)).join('\n') + '\n';
      expect(parseAnchors(text)).toEqual(cps);
      expect(() => parseAnchors(`${text}{"type":"record"}\n`)).toThrow('anchor line 4 is not a checkpoint');
      expect(() => parseAnchors('not json')).toThrow('anchor line 1 is not JSON');
    });
  });
});
