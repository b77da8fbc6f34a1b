// The audit trail's export format and its verification (issue #4 item 5). Pure code, no database and no HSM, so
// that the admin CLI, the admin API and an auditor's own copy of this file reach the same verdict on a JSON Lines
// export. The hash encoding mirrors sam.audit_canonical() in sam/migrations/002_audit_chain.sql byte for byte:
// change both together, and the version tag with them.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { jwkThumbprint } from './jwk_thumbprint.ts';

export const AUDIT_FORMAT = 'rssp-audit-v1';
const ZERO_HASH = '0'.repeat(64);

export type AuditHeaderLine = {
  type: 'header';
  format: typeof AUDIT_FORMAT;
  exportedAt: string;
  /** Seq of the chain head when the export was taken: rows beyond it were not written by the service. */
  headSeq: number;
  /** First seq of the exported span: 1 for a whole export. */
  fromSeq: number;
  filter: Record<string, string>;
  /** Checkpoint public keys (DER SubjectPublicKeyInfo, base64) by RFC 7638 thumbprint, read from the HSM. */
  keys: Array<{ kid: string; spki: string }>;
};

export type AuditRecordLine = {
  type: 'record';
  /** Storage id; lets a report name a row that has no place in the chain. */
  id: string;
  seq: number | null;
  prevHash: string | null;
  hash: string | null;
  at: string;
  event: string;
  result: string;
  errorCode: string | null;
  userId: string | null;
  clientId: string | null;
  credentialID: string | null;
  hashAlg: string | null;
  signAlgo: string | null;
  hashes: string[] | null;
  sadJti: string | null;
  numSignatures: number | null;
  amr: string[] | null;
  requestId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  detail: string | null;
  /** Written by the service and waiting to be chained (moments after its commit): not yet part of the chain. */
  pending?: boolean;
};

/** A row inside the exported span that the filter left out: its links only, so the chain can still be followed. */
export type AuditOmittedLine = { type: 'omitted'; id: string; seq: number | null; prevHash: string | null; hash: string | null };

export type AuditCheckpointLine = { type: 'checkpoint'; seq: number; hash: string; at: string; kid: string; signature: string };

export type AuditLine = AuditHeaderLine | AuditRecordLine | AuditOmittedLine | AuditCheckpointLine;

const enc = (v: string | null): string => (v === null ? '~' : `${Buffer.byteLength(v, 'utf8')}:${v}`);
const encArray = (a: string[] | null): string => (a === null ? '~' : `[${a.length}:${a.map(enc).join('')}]`);
const num = (n: number | null) => (n === null ? null : String(n));

/** SHA-256 (hex) over the canonical encoding of a record, as sam.audit_chain() computes it. */
export function recordHash(r: AuditRecordLine): string {
  const s =
    AUDIT_FORMAT +
    enc(num(r.seq)) +
    enc(r.prevHash) +
    enc(r.at) +
    enc(r.event) +
    enc(r.result) +
    enc(r.errorCode) +
    enc(r.userId) +
    enc(r.clientId) +
    enc(r.credentialID) +
    enc(r.hashAlg) +
    enc(r.signAlgo) +
    encArray(r.hashes) +
    enc(r.sadJti) +
    enc(num(r.numSignatures)) +
    encArray(r.amr) +
    enc(r.requestId) +
    enc(r.sourceIp) +
    enc(r.userAgent) +
    enc(r.detail);
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** What a checkpoint signs (ECDSA P-256 over SHA-256 of these bytes). */
export function checkpointStatement(c: { seq: number; hash: string; at: string }): Buffer {
  return Buffer.from(`rssp-audit-checkpoint-v1\n${c.seq}\n${c.hash}\n${c.at}`, 'utf8');
}

export type AuditProblem = {
  kind: 'altered' | 'deleted' | 'inserted' | 'checkpoint' | 'format' | 'key';
  /** The record named: its seq when it has one, else its storage id. */
  seq?: number;
  id?: string;
  message: string;
};

export type AuditVerdict = {
  intact: boolean;
  records: number;
  checkpoints: number;
  /** Highest seq covered by a valid checkpoint; records after it are chained but not yet signed. */
  signedUpTo: number;
  problems: AuditProblem[];
};

type Link = { id: string; seq: number; prevHash: string | null; hash: string | null; selfOk: boolean };

/**
 * Checks an export: every record against its own hash, every link to the record before it, no seq missing or
 * doubled, nothing beyond the head, and every checkpoint's signature and its agreement with the chain. Problems
 * come in chain order, so the first one names the first record that was altered, deleted or inserted.
 *
 * Lines are pushed one at a time (an export streams, and may be larger than memory as text); each record is checked
 * against its own hash as it arrives, and only its links are kept (a few dozen bytes) for the checks of the chain.
 */
export class AuditExportVerifier {
  private header: AuditHeaderLine | null = null;
  private started = false;
  private records = 0;
  private readonly links: Link[] = [];
  private readonly checkpointLines: AuditCheckpointLine[] = [];
  private readonly problems: AuditProblem[] = [];

  constructor(private readonly opts: { trustedKeys?: Array<{ kid: string; spki: string }> } = {}) {}

  push(l: AuditLine): void {
    if (!this.started) {
      this.started = true;
      if (l && l.type === 'header' && l.format === AUDIT_FORMAT) this.header = l;
      return;
    }
    if (!this.header) return;
    if (l.type === 'checkpoint') {
      this.checkpointLines.push(l);
      return;
    }
    if (l.type !== 'record' && l.type !== 'omitted') return;
    if (l.type === 'record') this.records++;
    // Records outside the chain: no seq at all (pending ones excepted), or beyond the head (checked in finish()).
    if (l.type === 'record' && l.pending && l.seq === null) return;
    if (l.seq === null || l.hash === null || l.prevHash === null) {
      this.problems.push({ kind: 'inserted', id: l.id, message: `record id ${l.id} was inserted: it has no place in the chain (no seq or hash)` });
      return;
    }
    const selfOk = l.type === 'record' ? recordHash(l) === l.hash : true;
    this.links.push({ id: l.id, seq: l.seq, prevHash: l.prevHash, hash: l.hash, selfOk });
  }

  finish(): AuditVerdict {
    const header = this.header;
    if (!header) {
      return { intact: false, records: 0, checkpoints: 0, signedUpTo: 0, problems: [{ kind: 'format', message: `not an ${AUDIT_FORMAT} export (no header line)` }] };
    }
    const problems = [...this.problems];
    const keys = new Map<string, KeyObject>();
    // A kid is the RFC 7638 thumbprint of its key (sam/audit/audit_key.ts). A key that is not what its kid names is
    // never used: otherwise a forged export, re-signed with the forger's key and listed under the real kid, would
    // verify even when the auditor pins that kid (issue #14 finding 2).
    for (const k of this.opts.trustedKeys ?? header.keys) {
      const key = readSpki(k.spki);
      if (!key || jwkThumbprint(key) !== k.kid) {
        problems.push({ kind: 'key', message: `the key listed under kid ${k.kid} is not the key that kid names (RFC 7638 thumbprint)` });
        continue;
      }
      keys.set(k.kid, key);
    }
    const links = this.links.sort((a, b) => a.seq - b.seq || Number(a.id) - Number(b.id));

    // One row per seq: among rows sharing a seq, the genuine one is the first that hashes right; the others were
    // inserted (a copied row hashes right too, and then the later storage id is the copy).
    const bySeq = new Map<number, Link>();
    for (const l of links) {
      const held = bySeq.get(l.seq);
      if (!held) {
        bySeq.set(l.seq, l);
        continue;
      }
      const [keep, extra] = !held.selfOk && l.selfOk ? [l, held] : [held, l];
      bySeq.set(l.seq, keep);
      problems.push({ kind: 'inserted', seq: extra.seq, id: extra.id, message: `record seq ${extra.seq} (id ${extra.id}) was inserted: a second row with that seq` });
    }

    let prev: Link | null = null;
    let expected = header.fromSeq;
    for (const l of [...bySeq.values()].sort((a, b) => a.seq - b.seq)) {
      if (l.seq > header.headSeq) {
        problems.push({ kind: 'inserted', seq: l.seq, id: l.id, message: `record seq ${l.seq} (id ${l.id}) was inserted: it lies beyond the chain head (seq ${header.headSeq})` });
        continue;
      }
      if (l.seq > expected) {
        const n = l.seq - expected;
        problems.push({ kind: 'deleted', seq: expected, message: `record seq ${expected} was deleted${n > 1 ? ` (and ${n - 1} after it, up to seq ${l.seq - 1})` : ''}` });
      } else if (!l.selfOk) {
        problems.push({ kind: 'altered', seq: l.seq, id: l.id, message: `record seq ${l.seq} was altered: its content does not match its hash` });
      } else if (prev && prev.seq === l.seq - 1 && l.prevHash !== prev.hash) {
        problems.push({ kind: 'altered', seq: prev.seq, id: prev.id, message: `record seq ${prev.seq} was altered: its hash was rewritten and seq ${l.seq} no longer chains to it` });
      } else if (l.seq === 1 && l.prevHash !== ZERO_HASH) {
        problems.push({ kind: 'altered', seq: 1, id: l.id, message: 'record seq 1 was altered: the chain does not start from zero' });
      }
      prev = l;
      expected = l.seq + 1;
    }
    if (expected <= header.headSeq && header.headSeq >= header.fromSeq) {
      const n = header.headSeq - expected + 1;
      problems.push({ kind: 'deleted', seq: expected, message: `record seq ${expected} was deleted${n > 1 ? ` (and ${n - 1} after it, up to the head seq ${header.headSeq})` : ''}` });
    }

    // Checkpoints: a valid signature, and the chain still passing through the signed hash.
    let checkpoints = 0;
    let signedUpTo = 0;
    let lastGood = header.fromSeq - 1;
    const cps = this.checkpointLines.sort((a, b) => a.seq - b.seq);
    for (const c of cps) {
      checkpoints++;
      const key = keys.get(c.kid);
      let sigOk = false;
      if (key) {
        try {
          sigOk = verify('sha256', checkpointStatement(c), { key, dsaEncoding: 'der' }, Buffer.from(c.signature, 'base64'));
        } catch {
          sigOk = false;
        }
      }
      if (!sigOk) {
        problems.push({ kind: 'checkpoint', seq: c.seq, message: `checkpoint at seq ${c.seq} was altered: its signature does not verify${key ? '' : ` (unknown key ${c.kid})`}` });
        continue;
      }
      const at = bySeq.get(c.seq);
      if (c.seq >= header.fromSeq && at && at.hash !== c.hash) {
        problems.push({
          kind: 'altered',
          seq: lastGood + 1,
          message: `records seq ${lastGood + 1} to ${c.seq} were rewritten: the chain no longer reaches the head signed at seq ${c.seq}`,
        });
        continue;
      }
      if (at) lastGood = c.seq;
      signedUpTo = Math.max(signedUpTo, c.seq);
    }

    problems.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
    return { intact: problems.length === 0, records: this.records, checkpoints, signedUpTo, problems };
  }
}

/** The verdict on an export held in memory (see AuditExportVerifier). */
export function verifyAuditExport(lines: AuditLine[], opts: { trustedKeys?: Array<{ kid: string; spki: string }> } = {}): AuditVerdict {
  const v = new AuditExportVerifier(opts);
  for (const l of lines) v.push(l);
  return v.finish();
}

/** Parses JSON Lines; a line that is not JSON is a format problem reported by the caller. */
export function parseAuditLines(text: string): AuditLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as AuditLine;
      } catch {
        throw new Error(`line ${i + 1} is not JSON`);
      }
    });
}

function readSpki(spkiB64: string): KeyObject | null {
  try {
    return createPublicKey({ key: Buffer.from(spkiB64, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}
