// Signs one hash of the SAD that signing.authorize obtained, with the request body a given client sends, and verifies
// the signature under the credential's certificate: a profile's own signHash check, in that client's words.
import { fail, failIfAny, skip } from '../check.ts';
import { base64Problem, isObject, isStringArray } from '../encodings.ts';
import { expectJsonOk } from '../expect_error.ts';
import { HASH_BY_OID, SIGN_ALGO_OIDS } from '../oids.ts';
import type { Session } from '../session.ts';
import { verifyEcdsa, verifyRsaPkcs1 } from '../signature_verify.ts';

export type SignRequest = { credentialID: string; sad: string; hash: Buffer; hashOid: string; signAlgo: string };

/** A combined hash-and-sign OID of the credential's key for digests of `length` bytes (these fix the hash). */
export function combinedAlgoFor(info: Record<string, unknown>, length: number): { signAlgo: string; hashOid: string } | undefined {
  const key = isObject(info.key) ? info.key : {};
  const algos = isStringArray(key.algo) ? key.algo : [];
  for (const a of algos) {
    const spec = SIGN_ALGO_OIDS[a];
    if (spec?.hash && spec.scheme !== 'rsa-pss' && HASH_BY_OID[spec.hash]!.length === length) return { signAlgo: a, hashOid: spec.hash };
  }
  return undefined;
}

/** Signs with `body(request)` as the request and verifies; returns what was seen. */
export async function signAs(s: Session, client: string, body: (r: SignRequest) => Record<string, unknown>): Promise<string> {
  const c = s.needCredential();
  const a = s.authorization ?? skip('credentials/authorize did not yield a SAD (see signing.authorize)');
  if (a.used >= a.numSignatures) skip('the SAD is used up');
  const hash = a.hashes[a.used]!;
  const plan = combinedAlgoFor(c.info, hash.length) ?? skip(`key.algo offers no combined algorithm for ${hash.length}-byte digests`);
  const answer = await s.http.post('signatures/signHash', { json: body({ credentialID: c.id, sad: a.sad, hash, ...plan }) }, s.bearer());
  const json = expectJsonOk(answer, `signatures/signHash as ${client} sends it`);
  a.used += 1;
  const sigs = json.signatures;
  if (!Array.isArray(sigs) || sigs.length !== 1) fail(`signatures is not an array of one: ${JSON.stringify(sigs)?.slice(0, 80)}`);
  const problem = base64Problem((sigs as unknown[])[0]);
  failIfAny(problem ? [`signatures[0] ${problem}`] : []);
  const sig = Buffer.from((sigs as string[])[0]!, 'base64');
  const key = c.chain[0]?.publicKey ?? skip('no parsable end-entity certificate');
  const v = SIGN_ALGO_OIDS[plan.signAlgo]!.scheme === 'ecdsa' ? verifyEcdsa(key, hash, sig) : verifyRsaPkcs1(key, plan.hashOid, hash, sig);
  if (!v.ok) return fail(v.reason);
  return `${SIGN_ALGO_OIDS[plan.signAlgo]!.label}: ${v.detail}`;
}
