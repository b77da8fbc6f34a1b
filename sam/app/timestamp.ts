// CSC v2 §11.13 signatures/timestamp in the SAM: an RFC 3161 token over the caller's digest, by the configured TSA,
// with one audit row per request whatever its outcome (DESIGN §2: every decision is audited). The digest is what
// the client hashed: the SAM never sees the document.
import { HASHES } from '../../core/algorithms.ts';
import { SamError, type RequestContext } from '../../core/sam_port.ts';
import { nonceFromHex } from '../../core/timestamp_token.ts';
import { auditFailure, writeAudit, type AuditDraft } from '../audit/audit_log.ts';
import type { Tsa } from '../tsa/tsa.ts';
import type { SamDeps } from './deps.ts';

export async function timestamp(
  d: SamDeps & { tsa: Tsa },
  cmd: { ctx: RequestContext; userId: string; clientId: string; hash: Uint8Array; hashAlgorithmOID: string; nonce?: string },
): Promise<{ timestamp: Uint8Array }> {
  const draft: AuditDraft = {
    event: 'timestamp',
    ctx: cmd.ctx,
    userId: cmd.userId,
    clientId: cmd.clientId,
    hashAlg: cmd.hashAlgorithmOID,
    hashes: [cmd.hash],
    detail: { tsa: d.tsa.kind, nonce: cmd.nonce !== undefined },
  };
  try {
    const alg = Object.hasOwn(HASHES, cmd.hashAlgorithmOID) ? HASHES[cmd.hashAlgorithmOID]! : undefined;
    if (!alg) throw new SamError('SAM_HASH_ALG_INVALID');
    if (cmd.hash.length !== alg.length) throw new SamError('SAM_HASH_LENGTH', `${alg.name} digests have ${alg.length} bytes`);
    let nonce: bigint | undefined;
    if (cmd.nonce !== undefined) {
      try {
        nonce = nonceFromHex(cmd.nonce);
      } catch {
        throw new SamError('SAM_NONCE_INVALID');
      }
    }
    const { token, info } = await d.tsa.timestamp({ hashAlgorithmOID: cmd.hashAlgorithmOID, digest: cmd.hash, nonce });
    await writeAudit(d.db, { ...draft, detail: { ...draft.detail, serialNumber: info.serialNumber, genTime: info.genTime.toISOString() } }, 'ok');
    return { timestamp: token };
  } catch (err) {
    await auditFailure(d.db, d.log, draft, err);
    throw err;
  }
}
