// The audit trail's export format and its verification (issue #4 item 5). Pure code, no database and no HSM, so
// that the admin CLI, the admin API and an auditor's own copy of this file reach the same verdict on a JSON Lines
// export. The hash encoding mirrors sam.audit_canonical() in sam/migrations/002_audit_chain.sql byte for byte:
// change both together, and the version tag with them.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { jwkThumbprint } from './jwk_thumbprint.ts';
import { verifyTimestampToken } from './timestamp_token.ts';

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
  /** Certificates (DER, base64) of the SAM's own time-stamping authority, when checkpoints are time-stamped by it. */
  tsaCertificates?: string[];
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

export type AuditCheckpointLine = {
  type: 'checkpoint';
  seq: number;
  hash: string;
  at: string;
  kid: string;
  signature: string;
  /** Version 2 (migration 014): the checkpoint before this one, by seq (0: none) and SHA-256 (hex) of its statement. */
  prevSeq?: number;
  prev?: string;
  /** RFC 3161 TimeStampToken (DER, base64) over the SHA-256 of the statement (migration 017): when it was signed,
   *  by a witness outside the database. Not part of the statement: it is made after it. */
  timestamp?: string;
};

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

type CheckpointContent = Pick<AuditCheckpointLine, 'seq' | 'hash' | 'at' | 'prevSeq' | 'prev'>;

/** What a checkpoint signs (ECDSA P-256 over SHA-256 of these bytes). Version 2 also names its predecessor, so that
 *  no checkpoint can be removed from between two others unnoticed (issue #14 finding 2). */
export function checkpointStatement(c: CheckpointContent): Buffer {
  const v1 = `${c.seq}\n${c.hash}\n${c.at}`;
  if (c.prevSeq === undefined || c.prev === undefined) return Buffer.from(`rssp-audit-checkpoint-v1\n${v1}`, 'utf8');
  return Buffer.from(`rssp-audit-checkpoint-v2\n${v1}\n${c.prevSeq}\n${c.prev}`, 'utf8');
}

/** The reference a checkpoint's successor signs: SHA-256 (hex) of its statement. */
export function checkpointDigest(c: CheckpointContent): string {
  return createHash('sha256').update(checkpointStatement(c)).digest('hex');
}

/** How a verifier is told what to trust beyond the export itself. */
export type AuditVerifyOptions = {
  /** Checkpoint keys pinned by the auditor; default: the export header's (each checked against its kid anyway). */
  trustedKeys?: Array<{ kid: string; spki: string }>;
  /** Checkpoints kept outside the database (AUDIT_ANCHOR_FILE): each must still be in the export, and the export's
   *  chain must pass through every one of them. */
  anchors?: AuditCheckpointLine[];
  /** Certificates (DER, base64) trusted for checkpoint timestamps, the TSA's own or its CA's; default: the export
   *  header's. A timestamp must verify under one of them (when there are none, under the certificate it carries). */
  trustedTsaCertificates?: string[];
};

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

  constructor(private readonly opts: AuditVerifyOptions = {}) {}

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

    // Checkpoints: a valid signature, each naming the one before it, and the chain still passing through the signed
    // hash. Anchors (copies kept outside the database) must all still be there.
    const cps = this.checkpointLines.sort((a, b) => a.seq - b.seq);
    const signedByKey = (c: AuditCheckpointLine): boolean => {
      const key = keys.get(c.kid);
      if (!key) return false;
      try {
        return verify('sha256', checkpointStatement(c), { key, dsaEncoding: 'der' }, Buffer.from(c.signature, 'base64'));
      } catch {
        return false;
      }
    };
    const valid: AuditCheckpointLine[] = [];
    for (const c of cps) {
      if (signedByKey(c)) valid.push(c);
      else problems.push({ kind: 'checkpoint', seq: c.seq, message: `checkpoint at seq ${c.seq} was altered: its signature does not verify${keys.has(c.kid) ? '' : ` (unknown key ${c.kid})`}` });
    }
    problems.push(...checkpointLinkProblems(cps, valid, header.fromSeq === 1));
    problems.push(...timestampProblems(cps, this.opts.trustedTsaCertificates ?? header.tsaCertificates ?? [], this.opts.anchors ?? []));
    const { problems: anchorProblems, missing } = anchorCheck(this.opts.anchors ?? [], cps, signedByKey, header);
    problems.push(...anchorProblems);

    let signedUpTo = 0;
    let lastGood = header.fromSeq - 1;
    for (const c of [...valid, ...missing].sort((a, b) => a.seq - b.seq)) {
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
    const checkpoints = cps.length;

    problems.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
    return { intact: problems.length === 0, records: this.records, checkpoints, signedUpTo, problems };
  }
}

/** The verdict on an export held in memory (see AuditExportVerifier). */
export function verifyAuditExport(lines: AuditLine[], opts: AuditVerifyOptions = {}): AuditVerdict {
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

/** Each version 2 checkpoint names its predecessor; every predecessor must be there and be what was signed. The
 *  earliest exported checkpoint of a partial export may name one outside the export. */
function checkpointLinkProblems(all: AuditCheckpointLine[], valid: AuditCheckpointLine[], whole: boolean): AuditProblem[] {
  const problems: AuditProblem[] = [];
  const bySeq = new Map(all.map((c) => [c.seq, c]));
  const validSeqs = new Set(valid.map((c) => c.seq));
  valid.forEach((c) => {
    if (c.prevSeq === undefined || c.prev === undefined) return; // version 1: no link
    const earliest = c.seq === all[0]!.seq;
    if (c.prevSeq === 0) {
      if (!earliest) problems.push({ kind: 'checkpoint', seq: c.seq, message: `checkpoint at seq ${c.seq} names no predecessor, yet checkpoints precede it` });
      return;
    }
    const p = bySeq.get(c.prevSeq);
    if (!p) {
      if (!earliest || whole) {
        problems.push({ kind: 'checkpoint', seq: c.prevSeq, message: `checkpoint at seq ${c.prevSeq} was deleted: the checkpoint at seq ${c.seq} names it as its predecessor` });
      }
      return;
    }
    if (validSeqs.has(p.seq) && checkpointDigest(p) !== c.prev) {
      problems.push({ kind: 'checkpoint', seq: p.seq, message: `checkpoint at seq ${p.seq} was altered: the checkpoint at seq ${c.seq} signed another predecessor` });
    }
  });
  return problems;
}

const SHA256_OID = '2.16.840.1.101.3.4.2.1';

/** A checkpoint's timestamp must be a TSA's token over the SHA-256 of that very checkpoint's statement, verifying
 *  under a trusted TSA certificate; and a timestamp kept in an anchor must still be on its checkpoint (dropping it
 *  from the database would otherwise pass unnoticed). */
function timestampProblems(cps: AuditCheckpointLine[], trustedB64: string[], anchors: AuditCheckpointLine[]): AuditProblem[] {
  const problems: AuditProblem[] = [];
  const trusted = trustedB64.map((c) => new Uint8Array(Buffer.from(c, 'base64')));
  for (const c of cps) {
    if (c.timestamp === undefined) continue;
    const digest = createHash('sha256').update(checkpointStatement(c)).digest();
    const verdict = verifyTimestampToken(new Uint8Array(Buffer.from(c.timestamp, 'base64')), { digest, hashAlgorithmOID: SHA256_OID, trusted });
    if (!verdict.ok) problems.push({ kind: 'checkpoint', seq: c.seq, message: `checkpoint at seq ${c.seq} has a timestamp that does not verify: ${verdict.reason}` });
  }
  const bySeq = new Map(cps.map((c) => [c.seq, c]));
  for (const a of anchors) {
    const e = bySeq.get(a.seq);
    if (a.timestamp !== undefined && e && e.timestamp !== a.timestamp) {
      problems.push({ kind: 'checkpoint', seq: a.seq, message: `checkpoint at seq ${a.seq} lost or changed its timestamp: it differs from its anchor outside the database` });
    }
  }
  return problems;
}

/** Anchors written before the export must be in it unchanged; one beyond the export's head means records were cut
 *  off the end. Returns the anchors missing from the export, so that the chain is still checked against them. */
function anchorCheck(
  anchors: AuditCheckpointLine[],
  exported: AuditCheckpointLine[],
  signedByKey: (c: AuditCheckpointLine) => boolean,
  header: AuditHeaderLine,
): { problems: AuditProblem[]; missing: AuditCheckpointLine[] } {
  const problems: AuditProblem[] = [];
  const missing: AuditCheckpointLine[] = [];
  const bySeq = new Map(exported.map((c) => [c.seq, c]));
  let beyond = 0; // the furthest anchored head past the export's head
  for (const a of anchors) {
    if (!signedByKey(a)) {
      problems.push({ kind: 'checkpoint', seq: a.seq, message: `the anchored checkpoint at seq ${a.seq} does not verify: the anchor was altered or its key is not trusted` });
      continue;
    }
    if (a.at > header.exportedAt || a.seq < header.fromSeq) continue; // signed after the export, or before its span
    if (a.seq > header.headSeq) {
      beyond = Math.max(beyond, a.seq);
      continue;
    }
    const e = bySeq.get(a.seq);
    if (!e) {
      problems.push({ kind: 'checkpoint', seq: a.seq, message: `checkpoint at seq ${a.seq} was deleted: it is anchored outside the database` });
      missing.push(a);
    } else if (checkpointDigest(e) !== checkpointDigest(a)) {
      problems.push({ kind: 'checkpoint', seq: a.seq, message: `checkpoint at seq ${a.seq} was altered: it differs from its anchor outside the database` });
      missing.push(a);
    }
  }
  if (beyond > 0) {
    problems.push({
      kind: 'deleted',
      seq: header.headSeq + 1,
      message: `records after seq ${header.headSeq} were deleted: a checkpoint anchored outside the database signed the chain up to seq ${beyond}`,
    });
  }
  return { problems, missing };
}

/** The checkpoints of an anchor file (sam/audit/anchor_file.ts writes it). A line that is not a checkpoint is an
 *  error: an anchor file that was tampered with must not be half-trusted. */
export function parseAnchors(text: string): AuditCheckpointLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      let v: Partial<AuditCheckpointLine> | null;
      try {
        v = JSON.parse(l) as Partial<AuditCheckpointLine> | null;
      } catch {
        throw new Error(`anchor line ${i + 1} is not JSON`);
      }
      const ok = v?.type === 'checkpoint' && typeof v.seq === 'number' && typeof v.hash === 'string' && typeof v.at === 'string'
        && typeof v.kid === 'string' && typeof v.signature === 'string';
      if (!ok) throw new Error(`anchor line ${i + 1} is not a checkpoint`);
      return v as AuditCheckpointLine;
    });
}

function readSpki(spkiB64: string): KeyObject | null {
  try {
    return createPublicKey({ key: Buffer.from(spkiB64, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}
