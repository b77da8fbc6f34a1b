// The evidence of a signature (issue #4 item 5): the 'sign' record that consumed the SAD for a hash, with the
// checkpoint that covers it, so that a signature application can archive who signed what, when, from where and
// with which factors, and later show that the trail still holds that record. The factors come from the SAD the
// signature consumed (its amr claim), written into the record by signHash.
import type { SignatureEvidence } from '../../core/audit_port.ts';
import type { Db } from '../../core/db.ts';
import { recordColumns, toRecordLine } from './export.ts';
import { sealAudit } from './seal.ts';

const LIMIT = 100;

export async function findEvidence(
  db: Db,
  q: { userId: string; credentialID: string; hash?: string; sadId?: string },
): Promise<SignatureEvidence[]> {
  await sealAudit(db); // a signature made a moment ago gets its place in the chain first
  const { rows } = await db.query(
    `SELECT ${recordColumns('a.')},
            cp.seq::text AS cp_seq, encode(cp.hash, 'hex') AS cp_hash,
            to_char(cp.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS cp_at, cp.kid AS cp_kid, cp.signature AS cp_signature,
            cp.prev_seq::text AS cp_prev_seq, encode(cp.prev, 'hex') AS cp_prev, cp.timestamp_token AS cp_timestamp
       FROM sam.audit_chained a
       LEFT JOIN LATERAL (SELECT * FROM sam.audit_checkpoints c WHERE c.seq >= a.seq ORDER BY c.seq LIMIT 1) cp ON true
      WHERE a.event = 'sign' AND a.result = 'ok' AND a.seq IS NOT NULL
        AND a.credential_id = $1 AND a.user_id = $2
        AND ($3::text IS NULL OR $3 = ANY (a.hashes))
        AND ($4::text IS NULL OR a.sad_jti = $4)
      ORDER BY a.seq DESC LIMIT ${LIMIT}`,
    [q.credentialID, q.userId, q.hash ?? null, q.sadId ?? null],
  );
  return rows.map((r) => {
    const rec = toRecordLine(r);
    return {
      seq: rec.seq!,
      recordHash: rec.hash!,
      at: rec.at,
      userId: rec.userId,
      clientId: rec.clientId,
      sourceIp: rec.sourceIp,
      userAgent: rec.userAgent,
      credentialID: rec.credentialID,
      hashes: rec.hashes ?? [],
      hashAlgorithmOID: rec.hashAlg,
      signAlgo: rec.signAlgo,
      sadId: rec.sadJti,
      factors: rec.amr ?? [],
      requestId: rec.requestId,
      checkpoint:
        r.cp_seq === null
          ? null
          : {
              seq: Number(r.cp_seq),
              hash: r.cp_hash,
              at: r.cp_at,
              kid: r.cp_kid,
              signature: (r.cp_signature as Buffer).toString('base64'),
              ...(r.cp_prev_seq === null ? {} : { prevSeq: Number(r.cp_prev_seq), prev: r.cp_prev }),
              ...(r.cp_timestamp ? { timestamp: (r.cp_timestamp as Buffer).toString('base64') } : {}),
            },
    };
  });
}
