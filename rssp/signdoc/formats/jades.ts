// JAdES baseline signatures (ETSI TS 119 182-1 v1.1.1) for CSC v2 §11.11 signature_format "J".
//   - Attached: the JWS payload is the document, base64url-encoded (RFC 7515 §3).
//   - Detached (the only envelope for documentDigests): the payload is empty and the document is bound by its hash
//     in the sigD header (§5.2.8, mechanism ObjectIdByURIHash), with b64 false so that the hash is over the
//     document's own octets, the digest the client sent or the SAD binds (§5.2.8.3.3, RFC 7797).
// The protected header carries alg, typ, x5t#S256 and x5c of the signer, sigT (§5.2.1) and crit naming the
// parameters a verifier must understand. AdES-B-B comes in the compact serialisation; AdES-B-T needs an unprotected
// header (etsiU with sigTst, §5.3.4), which only the JSON serialisation has, so it comes as flattened JSON; AdES-B-LT
// adds xVals (the signer's chain and the TSA's certificate, §5.3.5.3) and rVals (the CA's CRL, §5.3.5.4) to etsiU.
import { createHash } from 'node:crypto';
import { HASH_OID, type HashName } from '../../../core/algorithms.ts';
import { toBase64 } from '../../../core/base64.ts';
import { DocumentFormatError, type FormatInput, type PreparedSignature, type SignatureFormat } from '../format.ts';
import { signerAlgorithm, type SignerAlgorithm } from './signer_algorithm.ts';
import { validationDataOf } from './validation_data.ts';

export const JADES_SIGD_MECHANISM = 'http://uri.etsi.org/19182/ObjectIdByURIHash';
/** The name sigD gives the detached document (§5.2.8.3 pars); a verifier maps it to the document it holds. */
export const JADES_DETACHED_NAME = 'document';

const ENVELOPES = ['Attached', 'Detached'] as const;
type Envelope = (typeof ENVELOPES)[number];

/** §5.2.8.3.3 hashM values, named as x5t#S256 is. */
const HASH_M: Record<HashName, string> = { 'SHA-256': 'S256', 'SHA-384': 'S384', 'SHA-512': 'S512' };

export const jades: SignatureFormat = {
  code: 'J',
  envelopes: ENVELOPES,
  levels: ['AdES-B-B', 'AdES-B-T', 'AdES-B-LT'],
  digestEnvelopes: ['Detached'],
  prepare: async (input) => prepareJades(input),
};

const b64u = (data: Uint8Array | string) => Buffer.from(data).toString('base64url');

function prepareJades(input: FormatInput): PreparedSignature {
  const envelope = input.envelope as Envelope;
  if (!ENVELOPES.includes(envelope)) throw new DocumentFormatError(`JAdES has no envelope ${input.envelope}`);
  if (!input.document && envelope === 'Attached') {
    throw new DocumentFormatError('an Attached JAdES signature needs the document itself, not its digest');
  }
  const alg = signerAlgorithm(input.signer);
  if (!alg.jwsAlg) throw new DocumentFormatError(`JWS has no algorithm for ${alg.hash} with this key (RFC 7518 §3.4)`);
  if (input.documentDigest.length !== createHash(alg.nodeHash).digest().length) {
    throw new DocumentFormatError('the document digest has the wrong length');
  }
  const json = input.level !== 'AdES-B-B';
  const cert = input.signer.certificates[0]!;
  const header: Record<string, unknown> = {
    alg: alg.jwsAlg,
    typ: json ? 'jose+json' : 'jose',
    'x5t#S256': b64u(createHash('sha256').update(cert).digest()),
    x5c: input.signer.certificates.map(toBase64),
    sigT: input.signingTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  if (envelope === 'Detached') {
    header.b64 = false;
    header.sigD = { mId: JADES_SIGD_MECHANISM, pars: [JADES_DETACHED_NAME], hashM: HASH_M[alg.hash], hashV: [b64u(input.documentDigest)] };
    header.crit = ['sigT', 'sigD', 'b64'];
  } else {
    header.crit = ['sigT'];
  }
  const protectedHeader = b64u(JSON.stringify(header));
  const payload = envelope === 'Attached' ? b64u(input.document!) : '';
  const dtbsr = Buffer.from(`${protectedHeader}.${payload}`, 'ascii');

  return {
    dtbsr: new Uint8Array(dtbsr),
    dtbsrHash: new Uint8Array(createHash(alg.nodeHash).update(dtbsr).digest()),
    finish: async (value, services) => {
      const signature = b64u(alg.toRaw(value));
      const kind = envelope === 'Attached' ? 'DocumentWithSignature' : 'SignatureObject';
      if (!json) return { kind, bytes: new Uint8Array(Buffer.from(`${protectedHeader}.${payload}.${signature}`, 'ascii')) };
      const { sigTst, token } = await signatureTimestamp(alg, signature, services.timestamp);
      const etsiU: unknown[] = [{ sigTst }];
      if (input.level === 'AdES-B-LT') {
        const data = await validationDataOf(input.signer, [token], services);
        etsiU.push({ xVals: data.certificates.map((c) => ({ x509Cert: { val: toBase64(c) } })) }, { rVals: { crlVals: data.crls.map((c) => ({ val: toBase64(c) })) } });
      }
      const flattened = { protected: protectedHeader, header: { etsiU }, payload, signature };
      return { kind, bytes: new Uint8Array(Buffer.from(JSON.stringify(flattened), 'utf8')) };
    },
  };
}

/** §5.3.4: the token's message imprint is computed over the base64url-encoded JWS Signature Value. */
async function signatureTimestamp(
  alg: SignerAlgorithm,
  signature: string,
  timestamp: (hash: Uint8Array, hashAlgorithmOID: string) => Promise<Uint8Array>,
): Promise<{ sigTst: { tstTokens: { val: string }[] }; token: Uint8Array }> {
  const imprint = createHash(alg.nodeHash).update(signature, 'ascii').digest();
  const token = await timestamp(new Uint8Array(imprint), HASH_OID[alg.hash]);
  return { sigTst: { tstTokens: [{ val: toBase64(token) }] }, token };
}
