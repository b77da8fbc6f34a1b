// The signature application's use case: sign many documents with one remote authorization. Every document is
// prepared first (PDF incremental update or detached content, then CMS signed attributes), the digests of all
// signed attributes go into ONE authorization — credentials/authorize (one SAD, numSignatures = number of
// documents, CSC v2 §11.6) or one OAuth credential authorization (§8.4) — and one signatures/signHash (§11.10);
// each returned signature is verified locally under the certificate's key before it is embedded, so a bad
// signature never leaves the client as a "signed" file.
import { createHash, createPublicKey, constants, verify } from 'node:crypto';
import { type AuthObject, CscApi, CscClientError, type CredentialInfo } from './csc_api.ts';
import type { CredentialAuthorizationRequest } from './oauth_flow.ts';
import { HASH_OIDS, type HashAlg, keyKind, parseCertificate, prepareSignerInfo, type SignatureScheme, signatureAlgorithm, signatureTimeStampAttribute } from './cms/signed_data.ts';
import { signatureTimestamp } from './cms/timestamp.ts';
import { preparePdfSignature } from './pdf/signature_update.ts';

export type DocumentFormat = 'pades' | 'cades';

export type DocumentInput = { name: string; data: Uint8Array; format: DocumentFormat };
export type DocumentOutput = { name: string; format: DocumentFormat; data: Uint8Array };

export type FactorSource = (objects: AuthObject[]) => Promise<{ id: string; value: string }[]>;

export type SignDocumentsOptions = {
  api: CscApi;
  credentialID: string;
  documents: DocumentInput[];
  /** Supplies the values of the credential's authentication objects (explicit mode, CSC v2 §8.3). */
  factors?: FactorSource;
  /** Authorizes through OAuth 2.0 instead (CSC v2 §8.4), returning a credential-scoped access token; used for
   *  credentials whose auth mode is oauth2code, or whenever no `factors` are given. */
  oauth?: (req: CredentialAuthorizationRequest) => Promise<{ accessToken: string }>;
  hash?: HashAlg;
  /** RSA keys: RSASSA-PSS instead of PKCS#1 v1.5. */
  pss?: boolean;
  signingTime?: Date;
  /** B-B (default), or B-T: each signature gets a signature-time-stamp from the service's signatures/timestamp. */
  level?: 'B-B' | 'B-T';
  onProgress?: (event: { phase: 'prepare' | 'authorize' | 'sign' | 'assemble'; done: number; total: number; name?: string }) => void;
};

export class SigningError extends Error {}

/** The format a file is signed in by default: PAdES for PDFs, detached CAdES for anything else. */
export function defaultFormat(name: string, data: Uint8Array): DocumentFormat {
  return /\.pdf$/i.test(name) && Buffer.from(data.subarray(0, 5)).toString('latin1') === '%PDF-' ? 'pades' : 'cades';
}

function chainOf(info: CredentialInfo): Uint8Array[] {
  const certs = info.cert?.certificates;
  if (!certs?.length) throw new SigningError('credentials/info returned no certificate for this credential');
  return certs.map((c) => new Uint8Array(Buffer.from(c, 'base64')));
}

/** The root of the chain credentials/info returns (its last, self-signed certificate), as PEM. */
export function rootCertificatePem(info: CredentialInfo): string {
  const chain = chainOf(info);
  const last = chain[chain.length - 1]!;
  const cert = parseCertificate(last);
  const selfIssued = Buffer.compare(Buffer.from(cert.issuer.toSchema().toBER()), Buffer.from(cert.subject.toSchema().toBER())) === 0;
  if (!selfIssued) throw new SigningError('the chain returned by credentials/info does not end with a root certificate');
  const b64 = Buffer.from(last).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function pickScheme(info: CredentialInfo, leaf: Uint8Array, hash: HashAlg | undefined, pss: boolean): SignatureScheme {
  const kind = keyKind(parseCertificate(leaf));
  // SHA-256 unless the curve asks for more (ETSI TS 119 312 pairs P-384 with SHA-384).
  const h: HashAlg = hash ?? (kind === 'ec' && info.key.curve === '1.3.132.0.34' ? 'sha384' : kind === 'ec' && info.key.curve === '1.3.132.0.35' ? 'sha512' : 'sha256');
  if (pss && kind !== 'rsa') throw new SigningError('RSASSA-PSS needs an RSA credential');
  // A credential that offers RSASSA-PSS and no PKCS#1 v1.5 OID for this hash (e.g. created as PS256) gets PSS.
  const usePss = pss || (kind === 'rsa' && !info.key.algo.includes(signatureAlgorithm({ kind, hash: h }).oid) && info.key.algo.includes(signatureAlgorithm({ kind, hash: h, pss: true }).oid));
  const scheme: SignatureScheme = { kind, hash: h, pss: usePss };
  const { oid } = signatureAlgorithm(scheme);
  if (!info.key.algo.includes(oid)) throw new SigningError(`the credential does not offer signature algorithm ${oid} (key/algo: ${info.key.algo.join(', ')})`);
  return scheme;
}

function verifyLocally(leaf: Uint8Array, scheme: SignatureScheme, data: Uint8Array, signature: Uint8Array): boolean {
  const cert = parseCertificate(leaf);
  const key = createPublicKey({ key: Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER()), format: 'der', type: 'spki' });
  const saltLength = { sha256: 32, sha384: 48, sha512: 64 }[scheme.hash];
  return verify(scheme.hash, data, scheme.pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength } : key, signature);
}

export async function signDocuments(opts: SignDocumentsOptions): Promise<{ outputs: DocumentOutput[]; info: CredentialInfo }> {
  const { api, credentialID, documents } = opts;
  if (documents.length === 0) throw new SigningError('nothing to sign');
  const progress = opts.onProgress ?? (() => {});
  const info = await api.credentialInfo(credentialID);
  if (info.key.status !== 'enabled') throw new SigningError(`the credential's key is ${info.key.status}`);
  if (documents.length > info.multisign) {
    throw new SigningError(`${documents.length} documents need ${documents.length} signatures, but one authorization of this credential allows at most ${info.multisign} (multisign)`);
  }
  const useOAuth = info.auth?.mode === 'oauth2code' || (opts.oauth !== undefined && opts.factors === undefined);
  if (useOAuth && !opts.oauth) throw new SigningError('this credential is authorized through OAuth 2.0 (auth mode oauth2code): give the OAuth client settings (--client-id, --redirect-uri)');
  if (!useOAuth && !opts.factors) throw new SigningError('no way to authorize: give the PIN/OTP source or the OAuth client settings');
  const chain = chainOf(info);
  const scheme = pickScheme(info, chain[0]!, opts.hash, opts.pss ?? false);
  const signingTime = opts.signingTime ?? new Date(Math.floor(Date.now() / 1000) * 1000);

  const prepared = documents.map((doc, i) => {
    progress({ phase: 'prepare', done: i, total: documents.length, name: doc.name });
    if (doc.format === 'pades') {
      // B-T: room for the time-stamp token and its certificates besides the CMS.
      const pdf = preparePdfSignature(doc.data, { signingTime, ...(opts.level === 'B-T' ? { contentsSize: 32_768 } : {}) });
      const signer = prepareSignerInfo({ chain, scheme, contentDigest: createHash(scheme.hash).update(pdf.signedBytes()).digest() });
      return { doc, signer, finish: (cms: Uint8Array) => pdf.embed(cms) };
    }
    const signer = prepareSignerInfo({ chain, scheme, contentDigest: createHash(scheme.hash).update(doc.data).digest(), signingTime });
    return { doc, signer, finish: (cms: Uint8Array) => cms };
  });
  progress({ phase: 'prepare', done: documents.length, total: documents.length });

  // The same file twice in a batch gives the same hash: authorize and sign each distinct hash once.
  const distinct = new Map<string, Uint8Array>();
  for (const p of prepared) distinct.set(Buffer.from(p.signer.toBeSigned).toString('hex'), p.signer.toBeSigned);
  const hashes = [...distinct.values()];
  const hashAlgorithmOID = HASH_OIDS[scheme.hash];
  progress({ phase: 'authorize', done: 0, total: documents.length });
  const description = `Sign ${documents.length} document(s)`;
  let sad: string | undefined;
  let bearer: string | undefined;
  if (useOAuth) {
    bearer = (await opts.oauth!({ credentialID, hashes, hashAlgorithmOID, description })).accessToken;
  } else {
    // Without authInfo, assume the usual pair of CSC v2 §8.3.1 (a PIN and an OTP, both typed in).
    const objects = info.auth?.objects ?? (info.auth ? [] : [{ type: 'Password', id: 'PIN' }, { type: 'Password', id: 'OTP' }]);
    const factors = await opts.factors!(objects);
    sad = (await api.authorize({ credentialID, hashes, hashAlgorithmOID, authData: factors, description })).SAD;
  }

  progress({ phase: 'sign', done: 0, total: documents.length });
  const alg = signatureAlgorithm(scheme);
  const signatures = await api.signHash({ credentialID, sad, bearer, hashes, hashAlgorithmOID, signAlgo: alg.oid, signAlgoParams: alg.params });

  const byHash = new Map([...distinct.keys()].map((hex, i) => [hex, signatures[i]!]));
  const outputs: DocumentOutput[] = [];
  for (const [i, p] of prepared.entries()) {
    const sig = byHash.get(Buffer.from(p.signer.toBeSigned).toString('hex'))!;
    if (!verifyLocally(chain[0]!, scheme, p.signer.signedAttrsDer, sig)) {
      throw new CscClientError('signatures/signHash', 200, 'invalid_signature', `the signature returned for ${p.doc.name} does not verify under the credential's certificate`);
    }
    const unsignedAttributes = opts.level === 'B-T' ? [signatureTimeStampAttribute(await signatureTimestamp((c) => api.timestamp(c), sig, scheme.hash))] : [];
    outputs.push({ name: p.doc.name, format: p.doc.format, data: p.finish(p.signer.finish(sig, { unsignedAttributes })) });
    progress({ phase: 'assemble', done: i + 1, total: documents.length, name: p.doc.name });
  }
  return { outputs, info };
}
