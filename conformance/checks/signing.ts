// An explicit authorization and signatures over it (CSC v2 §8.3, §11.6, §11.10), verified under the certificate
// returned by credentials/info, then the sole-control refusals that can be observed from outside (§8.2 SCAL 2):
// a hash the SAD does not cover, a SAD used beyond numSignatures, a digest of the wrong length, a SAD presented
// for another credential. One authorization serves every check, so one OTP is enough.
import { createHash, randomBytes } from 'node:crypto';
import { type Check, fail, failIfAny, type Group, skip } from '../check.ts';
import { pssParamsDer } from '../der.ts';
import { base64Problem, isObject, isStringArray } from '../encodings.ts';
import { expectCscError, expectJsonOk } from '../expect_error.ts';
import { HASH_BY_OID, SHA256_OID, SIGN_ALGO_OIDS } from '../oids.ts';
import type { CredentialUnderTest, Session } from '../session.ts';
import { verifyEcdsa, verifyRsaPkcs1, verifyRsaPss } from '../signature_verify.ts';
import { signDocCades } from './sign_doc.ts';

const PSS = '1.2.840.113549.1.1.10';
const PREFERRED = ['1.2.840.10045.4.3.2', '1.2.840.10045.4.3.3', '1.2.840.10045.4.3.4', '1.2.840.113549.1.1.11', '1.2.840.113549.1.1.12', '1.2.840.113549.1.1.13', '1.2.840.10045.2.1', '1.2.840.113549.1.1.1', PSS];

type SignPlan = { signAlgo: string; hashOid: string; params?: string };

function algosOf(info: Record<string, unknown>): string[] {
  const key = isObject(info.key) ? info.key : {};
  return isStringArray(key.algo) ? key.algo : [];
}

/** The signAlgo to use: a combined OID when the credential offers one (it fixes the hash), else a key OID. */
function primaryPlan(info: Record<string, unknown>): SignPlan {
  const algos = algosOf(info);
  const signAlgo = PREFERRED.find((a) => algos.includes(a)) ?? skip(`key.algo ${JSON.stringify(algos)} offers no signature algorithm the kit can verify`);
  return planFor(signAlgo, SIGN_ALGO_OIDS[signAlgo]!.hash ?? SHA256_OID);
}

function planFor(signAlgo: string, hashOid: string): SignPlan {
  const hashLen = HASH_BY_OID[hashOid]!.length;
  return signAlgo === PSS ? { signAlgo, hashOid, params: Buffer.from(pssParamsDer(hashOid, hashLen)).toString('base64') } : { signAlgo, hashOid };
}

function signHashBody(credentialID: string, sad: string, hashes: Buffer[], plan: SignPlan): { json: unknown } {
  const combined = SIGN_ALGO_OIDS[plan.signAlgo]?.hash !== undefined;
  return {
    json: {
      credentialID,
      SAD: sad,
      hashes: hashes.map((h) => h.toString('base64')),
      signAlgo: plan.signAlgo,
      // §11.10: hashAlgorithmOID is needed only when signAlgo does not imply the hash.
      ...(combined ? {} : { hashAlgorithmOID: plan.hashOid }),
      ...(plan.params ? { signAlgoParams: plan.params } : {}),
    },
  };
}

function verify(c: CredentialUnderTest, plan: SignPlan, digest: Buffer, sig: Buffer) {
  const key = c.chain[0]!.publicKey;
  const scheme = SIGN_ALGO_OIDS[plan.signAlgo]!.scheme;
  if (scheme === 'ecdsa') return verifyEcdsa(key, digest, sig);
  if (scheme === 'rsa-pkcs1') return verifyRsaPkcs1(key, plan.hashOid, digest, sig);
  return verifyRsaPss(key, plan.hashOid, HASH_BY_OID[plan.hashOid]!.length, digest, sig);
}

/** Signs `hashes` with the session's SAD and verifies every signature; fails with the first problem. */
async function signAndVerify(s: Session, c: CredentialUnderTest, hashes: Buffer[], plan: SignPlan): Promise<string> {
  const a = s.authorization!;
  const body = expectJsonOk(await s.http.post('signatures/signHash', signHashBody(c.id, a.sad, hashes, plan), s.bearer()), `signHash ${SIGN_ALGO_OIDS[plan.signAlgo]!.label}`);
  a.used += hashes.length;
  const sigs = body.signatures;
  if (!Array.isArray(sigs) || sigs.length !== hashes.length) fail(`signatures is not an array of ${hashes.length}: ${JSON.stringify(sigs)?.slice(0, 80)}`);
  const issues: string[] = [];
  let detail = '';
  (sigs as unknown[]).forEach((sig, i) => {
    const problem = base64Problem(sig);
    if (problem) return issues.push(`signatures[${i}] ${problem}`);
    const v = verify(c, plan, hashes[i]!, Buffer.from(sig as string, 'base64'));
    if (!v.ok) issues.push(`signatures[${i}]: ${v.reason}`);
    else detail = v.detail;
  });
  failIfAny(issues);
  return `${SIGN_ALGO_OIDS[plan.signAlgo]!.label}: ${detail}`;
}

function digest(hashOid: string): Buffer {
  return createHash(HASH_BY_OID[hashOid]!.node).update(randomBytes(32)).digest();
}

function needAuthorization(s: Session) {
  const c = s.needCredential();
  const a = s.authorization ?? skip('credentials/authorize did not yield a SAD');
  return { c, a };
}

function needScal2(c: CredentialUnderTest): void {
  // §11.4 SCAL: absent means "1", where the hashes are not bound to the SAD and the refusal is not required.
  if (c.info.SCAL !== '2') skip(`the credential is SCAL ${String(c.info.SCAL ?? '1 (SCAL absent)')}: hashes are not bound to the SAD`);
}

const authorize: Check<Session> = {
  id: 'signing.authorize',
  title: 'credentials/authorize with the credential\'s factors returns a SAD',
  clause: 'CSC v2 §11.6, §8.3.1',
  async run(s) {
    const c = s.needCredential();
    s.needMethod('credentials/authorize');
    s.needMethod('signatures/signHash');
    const auth = isObject(c.info.auth) ? c.info.auth : {};
    if (auth.mode !== 'explicit') skip(`auth.mode is ${JSON.stringify(auth.mode)}: the kit authorizes in explicit mode only`);
    if (isObject(c.info.key) && c.info.key.status === 'disabled') skip('key.status is disabled');
    if (!c.chain[0]) skip('no parsable end-entity certificate to verify signatures with');
    const objects = (Array.isArray(auth.objects) ? auth.objects : []).filter(isObject);
    const authData: { id: string; value: string }[] = [];
    const missing: string[] = [];
    for (const o of objects) {
      const id = String(o.id);
      const isOtp = /otp/i.test(id) || /otp/i.test(String(o.type)) || o.generator !== undefined;
      const value = isOtp ? await s.otp() : s.options.pin;
      if (value === undefined) missing.push(isOtp ? `${id} (give --otp or --totp-secret)` : `${id} (give --pin)`);
      else authData.push({ id, value });
    }
    const anyOf = typeof auth.expression === 'string' && /\b(OR|XOR)\b/.test(auth.expression);
    if (missing.length && !(anyOf && authData.length)) skip(`factor(s) needed: ${missing.join(', ')}`);
    const plan = primaryPlan(c.info);
    // One more digest for signing.sign_doc_cades when signDoc is offered and the credential allows three signatures.
    const reserveDoc = s.offers('signatures/signDoc') && Number(c.info.multisign) >= 3;
    const n = Math.min(Number(c.info.multisign) || 1, 2) + (reserveDoc ? 1 : 0);
    const hashes = Array.from({ length: n }, () => digest(plan.hashOid));
    const body = expectJsonOk(
      await s.http.post(
        'credentials/authorize',
        { json: { credentialID: c.id, numSignatures: n, hashes: hashes.map((h) => h.toString('base64')), hashAlgorithmOID: plan.hashOid, authData } },
        s.bearer(),
      ),
      'credentials/authorize',
    );
    if (typeof body.SAD !== 'string' || !body.SAD) fail('no string SAD in the answer');
    if (body.expiresIn !== undefined && (typeof body.expiresIn !== 'number' || body.expiresIn <= 0)) fail(`expiresIn ${JSON.stringify(body.expiresIn)} is not a positive number`);
    s.authorization = { sad: body.SAD as string, hashes, numSignatures: n, used: 0, ...(reserveDoc ? { docHash: hashes[n - 1]! } : {}) };
    return `SAD for ${n} hash(es) with ${authData.map((d) => d.id).join(' + ') || 'no factor'}${typeof body.expiresIn === 'number' ? `, expiresIn ${body.expiresIn}` : ''}`;
  },
};

const hashNotAuthorized: Check<Session> = {
  id: 'scal2.hash_not_authorized',
  title: 'signHash refuses a hash that the SAD does not cover',
  clause: 'CSC v2 §8.2 (SCAL 2), §11.4 SCAL, §11.10',
  async run(s) {
    const { c, a } = needAuthorization(s);
    needScal2(c);
    const plan = primaryPlan(c.info);
    const answer = await s.http.post('signatures/signHash', signHashBody(c.id, a.sad, [digest(plan.hashOid)], plan), s.bearer());
    if (answer.status === 200) {
      a.used += 1;
      fail('signed a hash that was not authorized: the SAD is not bound to the hashes (SCAL 2 broken)');
    }
    return expectCscError(answer, 'hash outside the SAD', { statuses: [400, 403] });
  },
};

const wrongLength: Check<Session> = {
  id: 'signing.wrong_length_hash',
  title: 'signHash refuses a digest whose length does not fit the hash algorithm',
  clause: 'CSC v2 §11.10 errors (hashes)',
  async run(s) {
    const { c, a } = needAuthorization(s);
    const plan = primaryPlan(c.info);
    const short = a.hashes[0]!.subarray(0, a.hashes[0]!.length - 1);
    const answer = await s.http.post('signatures/signHash', signHashBody(c.id, a.sad, [short], plan), s.bearer());
    if (answer.status === 200) {
      a.used += 1;
      fail(`signed a ${short.length}-byte value as a ${HASH_BY_OID[plan.hashOid]!.node} digest`);
    }
    return expectCscError(answer, 'digest of the wrong length', { statuses: [400] });
  },
};

const otherCredential: Check<Session> = {
  id: 'scal2.sad_other_credential',
  title: 'a SAD is refused for a credential other than the one it was issued for',
  clause: 'CSC v2 §11.6 (SAD bound to credentialID), §11.10',
  async run(s) {
    const { c, a } = needAuthorization(s);
    const other = s.credentialIDs?.find((id) => id !== c.id) ?? skip('the signer has only one credential');
    const info = expectJsonOk(await s.http.post('credentials/info', { json: { credentialID: other } }, s.bearer()), 'credentials/info of the other credential');
    const algos = algosOf(info);
    // Ask for a signature the other credential could otherwise make, so only the SAD's binding can refuse it.
    const hashOid = primaryPlan(c.info).hashOid;
    const fits = (x: string) => algos.includes(x) && [undefined, hashOid].includes(SIGN_ALGO_OIDS[x]!.hash);
    const signAlgo = PREFERRED.find(fits) ?? skip('the other credential offers no algorithm for the SAD\'s hash');
    const plan = planFor(signAlgo, hashOid);
    const answer = await s.http.post('signatures/signHash', signHashBody(other, a.sad, [a.hashes[0]!], plan), s.bearer());
    if (answer.status === 200) fail('signed with another credential under this credential\'s SAD');
    return expectCscError(answer, 'SAD of another credential', { statuses: [400, 401, 403] });
  },
};

const signFirst: Check<Session> = {
  id: 'signing.sign_hash',
  title: 'signHash signs an authorized hash; the signature verifies under the certificate',
  clause: 'CSC v2 §11.10; RFC 3279 §2.2.3 (ECDSA DER), RFC 8017 §8.2 (PKCS#1 v1.5 DigestInfo)',
  async run(s) {
    const { c, a } = needAuthorization(s);
    return signAndVerify(s, c, [a.hashes[0]!], primaryPlan(c.info));
  },
};

const signSecond: Check<Session> = {
  id: 'signing.second_hash',
  title: 'a second signHash call with the same SAD signs the next authorized hash (RSASSA-PSS when offered)',
  clause: 'CSC v2 §11.6 numSignatures, §11.10 signAlgoParams; RFC 8017 §8.1 (PSS)',
  async run(s) {
    const { c, a } = needAuthorization(s);
    if (a.numSignatures < 2) skip('multisign is 1: the SAD covers one signature');
    const primary = primaryPlan(c.info);
    const plan = SIGN_ALGO_OIDS[primary.signAlgo]!.key === 'RSA' && algosOf(c.info).includes(PSS) ? planFor(PSS, primary.hashOid) : primary;
    return signAndVerify(s, c, [a.hashes[1]!], plan);
  },
};

const sadReuse: Check<Session> = {
  id: 'scal2.sad_reuse',
  title: 'a SAD is refused once numSignatures signatures were made with it',
  clause: 'CSC v2 §11.6 numSignatures, §11.10 (SAD)',
  async run(s) {
    const { c, a } = needAuthorization(s);
    if (a.used < a.numSignatures) skip(`the SAD was used for ${a.used} of ${a.numSignatures} signatures by the checks before (they failed)`);
    const plan = primaryPlan(c.info);
    const answer = await s.http.post('signatures/signHash', signHashBody(c.id, a.sad, [a.hashes[0]!], plan), s.bearer());
    if (answer.status === 200) fail(`signed again with a SAD for ${a.numSignatures} signature(s) already used ${a.used} time(s)`);
    return expectCscError(answer, `SAD used beyond numSignatures ${a.numSignatures}`, { statuses: [400, 401, 403] });
  },
};

export const signingGroup: Group<Session> = {
  name: 'signing',
  checks: () => [authorize, hashNotAuthorized, wrongLength, otherCredential, signFirst, signSecond, signDocCades, sadReuse],
};
