// An external RFC 3161 time-stamping authority (TSA_URL), spoken to with the HTTP transport of RFC 3161 §3.4: a
// DER TimeStampReq POSTed as application/timestamp-query, a TimeStampResp back. Nothing it answers is passed on
// unchecked: the status must grant the request, and the token must carry the digest and the nonce that were sent
// and verify under the certificate it includes (core/timestamp_token.ts). Anything else fails closed.
import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SamError } from '../../core/sam_port.ts';
import { integerBytes, verifyTimestampToken } from '../../core/timestamp_token.ts';
import type { TimestampRequest, Tsa } from './tsa.ts';

/** Largest response read (a token with a certificate chain is a few KiB). */
const MAX_RESPONSE_BYTES = 256 * 1024;

export function remoteTsa(opts: { url: string; timeoutMs: number; policy?: string; fetch?: typeof fetch }): Tsa {
  const doFetch = opts.fetch ?? fetch;
  return {
    kind: 'external',
    certificates: () => [],
    async timestamp(req: TimestampRequest) {
      // A nonce on every request, the caller's or our own, so that a replayed older response is refused.
      const nonce = req.nonce ?? BigInt(`0x${randomBytes(8).toString('hex')}`);
      const query = new pkijs.TimeStampReq({
        version: 1,
        messageImprint: new pkijs.MessageImprint({
          hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: req.hashAlgorithmOID }),
          hashedMessage: new asn1js.OctetString({ valueHex: req.digest }),
        }),
        nonce: new asn1js.Integer({ valueHex: integerBytes(nonce) }),
        // The TSA's certificate in the token, so that the token can be checked here and by anyone later.
        certReq: true,
      });
      let body: Uint8Array;
      try {
        const res = await doFetch(opts.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/timestamp-query', Accept: 'application/timestamp-reply' },
          body: Buffer.from(query.toSchema().toBER()),
          signal: AbortSignal.timeout(opts.timeoutMs),
          redirect: 'error',
        });
        if (res.status !== 200) throw new SamError('SAM_TSA_UNAVAILABLE', `the external TSA answered HTTP ${res.status}`);
        body = new Uint8Array(await res.arrayBuffer());
      } catch (err) {
        if (err instanceof SamError) throw err;
        throw new SamError('SAM_TSA_UNAVAILABLE', `the external TSA cannot be reached: ${(err as Error).message}`, { cause: err });
      }
      if (body.length > MAX_RESPONSE_BYTES) throw new SamError('SAM_TSA_RESPONSE_INVALID', 'the external TSA response is too large');
      let resp: pkijs.TimeStampResp;
      try {
        resp = pkijs.TimeStampResp.fromBER(body);
      } catch {
        throw new SamError('SAM_TSA_RESPONSE_INVALID', 'the external TSA response is not a TimeStampResp');
      }
      // RFC 3161 §2.4.2: only granted (0) and grantedWithMods (1) carry a token.
      const status = resp.status.status;
      if (status !== 0 && status !== 1) {
        const text = resp.status.statusStrings?.map((s) => s.valueBlock.value).join('; ');
        throw new SamError('SAM_TSA_UNAVAILABLE', `the external TSA refused the request (status ${status}${text ? `: ${text}` : ''})`);
      }
      if (!resp.timeStampToken) throw new SamError('SAM_TSA_RESPONSE_INVALID', 'the external TSA granted the request but sent no token');
      const token = new Uint8Array(resp.timeStampToken.toSchema().toBER());
      const verdict = verifyTimestampToken(token, { digest: req.digest, hashAlgorithmOID: req.hashAlgorithmOID, nonce });
      if (!verdict.ok) throw new SamError('SAM_TSA_RESPONSE_INVALID', `the external TSA token was refused: ${verdict.reason}`);
      if (opts.policy !== undefined && verdict.info.policy !== opts.policy) {
        throw new SamError('SAM_TSA_RESPONSE_INVALID', `the external TSA token has policy ${verdict.info.policy}, not ${opts.policy}`);
      }
      return { token, info: verdict.info };
    },
  };
}
