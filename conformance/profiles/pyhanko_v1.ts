// Profile `pyhanko-v1`: what pyHanko's CSCSigner (pyhanko.sign.signers.csc_signer, written to CSC v1.0.4.0) needs of
// a server. It calls credentials/info with certificates "chain" and certInfo false and takes cert.certificates[0] as
// the signing certificate; maps every key.algo OID to a signature mechanism and refuses to sign unless the mechanism
// it picks for the digest (sha256 with the key's scheme) is among them; reads multisign and SCAL with int(); asks
// credentials/authorize with the v1 names (hash, PIN, OTP) and reads SAD and expiresIn; calls signHash with hash,
// hashAlgo and signAlgo and base64-decodes `signatures`. Its HTTP client (aiohttp) raises on any non-2xx status and
// on a JSON body whose Content-Type is not application/json. Default base /csc/v1.
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { type Check, fail, failIfAny, skip } from '../check.ts';
import { authGroup } from '../checks/auth.ts';
import { infoGroup } from '../checks/info.ts';
import { base64Problem, isObject, isStringArray } from '../encodings.ts';
import { describeAnswer, type HttpAnswer } from '../http_client.ts';
import { DOTTED_OID, SIGN_ALGO_OIDS } from '../oids.ts';
import type { Session } from '../session.ts';
import { verifyEcdsa, verifyRsaPkcs1 } from '../signature_verify.ts';
import { group, pick, type Profile } from './profile.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
/** The mechanism pyHanko picks for a SHA-256 digest, by key type (sha256_ecdsa, sha256_rsa). */
const MECHANISM = { EC: '1.2.840.10045.4.3.2', RSA: '1.2.840.113549.1.1.11' } as const;

/** aiohttp's response.json() refuses any other media type. */
function pyhankoJson(a: HttpAnswer, what: string): Record<string, unknown> {
  if (a.status < 200 || a.status > 299) fail(`${what}: HTTP ${a.status}; pyHanko raises on any non-2xx answer: ${describeAnswer(a)}`);
  if (!/^application\/json\s*(;|$)/i.test(a.contentType)) fail(`${what}: Content-Type "${a.contentType}"; pyHanko (aiohttp) reads only application/json`);
  if (!isObject(a.json)) fail(`${what}: the body is not a JSON object`);
  return a.json as Record<string, unknown>;
}

/** Python's int() of a JSON value: an integer, or a string of digits. */
const pyInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : undefined;

const credentialInfo: Check<Session> = {
  id: 'pyhanko.credentials_info',
  title: 'credentials/info as pyHanko asks it gives cert.certificates, standard base64 DER, signing certificate first',
  clause: 'CSC v1.0.4.0 §11.5; pyhanko csc_signer.fetch_certs_in_csc_credential',
  async run(s) {
    s.bearer();
    let id = s.options.credentialID;
    if (!id) {
      const list = pyhankoJson(await s.http.post('credentials/list', { json: {} }, s.bearer()), 'credentials/list');
      id = (isStringArray(list.credentialIDs) ? list.credentialIDs[0] : undefined) ?? skip('the signer has no credential');
    }
    const body = pyhankoJson(await s.http.post('credentials/info', { json: { credentialID: id, certificates: 'chain', certInfo: false } }, s.bearer()), 'credentials/info');
    const certs = isObject(body.cert) ? body.cert.certificates : undefined;
    if (!Array.isArray(certs) || certs.length === 0) fail('cert.certificates is missing: pyHanko fails with "Could not retrieve certificates from response"');
    const chain: X509Certificate[] = [];
    const issues: string[] = [];
    (certs as unknown[]).forEach((c, i) => {
      const problem = base64Problem(c);
      if (problem) return issues.push(`cert.certificates[${i}] ${problem}`);
      try {
        chain.push(new X509Certificate(Buffer.from(c as string, 'base64')));
      } catch {
        issues.push(`cert.certificates[${i}] is not a DER certificate`);
      }
    });
    if (chain[0]?.ca) issues.push('cert.certificates[0] is a CA certificate: pyHanko signs with certificates[0] as the signer certificate');
    failIfAny(issues);
    s.credential = { id, info: body, chain };
    return `${chain.length} certificate(s), signer ${chain[0]!.subject.replace(/\n/g, ', ')}`;
  },
};

const keyAlgo: Check<Session> = {
  id: 'pyhanko.key_algo',
  title: "key.algo is a list of OIDs that includes the mechanism pyHanko picks for SHA-256 and the key's type",
  clause: 'CSC v1.0.4.0 §11.5 key/algo; pyhanko CSCSigner.get_signature_mechanism_for_digest',
  async run(s) {
    const c = s.needCredential();
    const algo = isObject(c.info.key) ? c.info.key.algo : undefined;
    if (!isStringArray(algo)) fail('key.algo is not a list: "Could not retrieve supported signing mechanisms from response"');
    const bad = (algo as string[]).filter((a) => !DOTTED_OID.test(a));
    if (bad.length) fail(`key.algo ${JSON.stringify(bad)} are not dotted OIDs`);
    const kty = c.chain[0]?.publicKey.asymmetricKeyType;
    const wanted = kty === 'ec' ? MECHANISM.EC : kty === 'rsa' ? MECHANISM.RSA : skip(`key type ${String(kty)} is not EC or RSA`);
    if (!(algo as string[]).includes(wanted)) fail(`key.algo ${JSON.stringify(algo)} lacks ${SIGN_ALGO_OIDS[wanted]!.label} (${wanted}): pyHanko raises "Signature mechanism … is not supported"`);
    return `${SIGN_ALGO_OIDS[wanted]!.label} offered`;
  },
};

const multisignScal: Check<Session> = {
  id: 'pyhanko.multisign_scal',
  title: 'multisign and SCAL read as integers (SCAL 1 or 2)',
  clause: 'CSC v1.0.4.0 §11.5 multisign, SCAL; pyhanko _process_certificate_info_response',
  async run(s) {
    const c = s.needCredential();
    const issues: string[] = [];
    const m = pyInt(c.info.multisign);
    if (m === undefined || m < 1) issues.push(`multisign ${JSON.stringify(c.info.multisign)} is not an integer ≥ 1`);
    const scal = c.info.SCAL === undefined ? 1 : pyInt(c.info.SCAL);
    if (scal !== 1 && scal !== 2) issues.push(`SCAL ${JSON.stringify(c.info.SCAL)} is not "1" or "2"`);
    failIfAny(issues);
    return `multisign ${m}, SCAL ${scal}`;
  },
};

const authorize: Check<Session> = {
  id: 'pyhanko.authorize',
  title: 'credentials/authorize with hash, numSignatures, PIN and OTP answers SAD (and an integer expiresIn)',
  clause: 'CSC v1.0.4.0 §11.6; pyhanko CSCAuthorizationManager.format_csc_auth_request',
  async run(s) {
    const c = s.needCredential();
    const pin = s.options.pin ?? skip('no --pin given');
    const otp = await s.otp();
    const hash = createHash('sha256').update(randomBytes(32)).digest();
    const body = { credentialID: c.id, hash: [hash.toString('base64')], numSignatures: 1, PIN: pin, ...(otp ? { OTP: otp } : {}) };
    const json = pyhankoJson(await s.http.post('credentials/authorize', { json: body }, s.bearer()), 'credentials/authorize');
    if (typeof json.SAD !== 'string' || !json.SAD) fail('no SAD: "Could not extract SAD value from auth response"');
    if (json.expiresIn !== undefined && pyInt(json.expiresIn) === undefined) fail(`expiresIn ${JSON.stringify(json.expiresIn)} is not an integer`);
    s.authorization = { sad: json.SAD as string, hashes: [hash], numSignatures: 1, used: 0 };
    return `SAD issued${json.expiresIn !== undefined ? `, expiresIn ${String(json.expiresIn)}` : ' (expiresIn absent: pyHanko assumes 3600)'}`;
  },
};

const signHash: Check<Session> = {
  id: 'pyhanko.sign_hash',
  title: 'signHash with hash, hashAlgo and signAlgo returns base64 signatures, one per hash, that verify',
  clause: 'CSC v1.0.4.0 §11.9; pyhanko CSCSigner.format_csc_signing_req',
  async run(s) {
    const c = s.needCredential();
    const a = s.authorization ?? skip('pyhanko.authorize did not yield a SAD');
    const key = c.chain[0]?.publicKey ?? skip('no signer certificate');
    const signAlgo = key.asymmetricKeyType === 'ec' ? MECHANISM.EC : MECHANISM.RSA;
    const body = { credentialID: c.id, SAD: a.sad, hashAlgo: SHA256, signAlgo, hash: [a.hashes[0]!.toString('base64')] };
    const json = pyhankoJson(await s.http.post('signatures/signHash', { json: body }, s.bearer()), 'signatures/signHash');
    a.used += 1;
    const sigs = json.signatures;
    if (!Array.isArray(sigs) || sigs.length !== 1) fail(`signatures ${JSON.stringify(sigs)?.slice(0, 80)}: "Expected 1 signatures"`);
    const problem = base64Problem((sigs as unknown[])[0]);
    if (problem) fail(`signatures[0] ${problem}`);
    const sig = Buffer.from((sigs as string[])[0]!, 'base64');
    const v = signAlgo === MECHANISM.EC ? verifyEcdsa(key, a.hashes[0]!, sig) : verifyRsaPkcs1(key, SHA256, a.hashes[0]!, sig);
    if (!v.ok) return fail(v.reason);
    return v.detail;
  },
};

const refusalStatus: Check<Session> = {
  id: 'pyhanko.refusal_status',
  title: 'a refusal is an HTTP error status, never a 2xx with an error body',
  clause: 'CSC v1.0.4.0 §10.1; pyhanko (aiohttp raise_for_status)',
  async run(s) {
    const a = await s.http.post('credentials/info', { json: { credentialID: 'pyhanko-profile-unknown', certificates: 'chain', certInfo: false } }, s.bearer());
    if (a.status < 400) fail(`credentials/info of an unknown credential answered ${a.status}: ${describeAnswer(a)}`);
    return `HTTP ${a.status}`;
  },
};

export const pyhankoV1Profile: Profile = {
  title: "pyHanko's CSCSigner (CSC v1.0.4.0 client) against a CSC v1 server",
  specification: 'CSC API v1.0.4.0',
  groups: [
    pick(infoGroup, ['info.available']),
    pick(authGroup, ['auth.login']),
    group('pyhanko', [credentialInfo, keyAlgo, multisignScal, authorize, signHash, refusalStatus]),
  ],
};
