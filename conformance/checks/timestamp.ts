// signatures/timestamp (CSC v2 §11.13): a TimeStampToken (RFC 3161) over the hash sent, with its nonce, signed by
// a time-stamping certificate it carries; and the refusals of §11.13's error table. Only run when info lists the
// method.
import { createHash, randomBytes } from 'node:crypto';
import { type Check, fail, failIfAny, type Group } from '../check.ts';
import { base64Problem } from '../encodings.ts';
import { expectCscError, expectJsonOk } from '../expect_error.ts';
import { SHA256_OID } from '../oids.ts';
import type { Session } from '../session.ts';
import { isTimeStampingCertificate, readTimeStampToken, TokenFormatError } from '../timestamp_token.ts';

/** How far the token's time may be from the kit's clock. */
const SKEW_MS = 5 * 60_000;

const token: Check<Session> = {
  id: 'timestamp.token',
  title: 'signatures/timestamp returns an RFC 3161 token over the hash, with the nonce, signed by a TSA certificate',
  clause: 'CSC v2 §11.13, RFC 3161 §2.4.2',
  async run(s) {
    s.needMethod('signatures/timestamp');
    const hash = createHash('sha256').update(randomBytes(32)).digest();
    // Hex without a leading zero digit, so that it reads back the same from the INTEGER.
    const nonce = `1${randomBytes(15).toString('hex')}`;
    const body = expectJsonOk(
      await s.http.post('signatures/timestamp', { json: { hash: hash.toString('base64'), hashAlgo: SHA256_OID, nonce } }, s.bearer()),
      'signatures/timestamp',
    );
    const problem = base64Problem(body.timestamp);
    if (problem) fail(`timestamp ${problem}`);
    let view;
    try {
      view = readTimeStampToken(Buffer.from(body.timestamp as string, 'base64'));
    } catch (err) {
      if (err instanceof TokenFormatError) fail(`timestamp is not a TimeStampToken: ${err.message}`);
      throw err;
    }
    const issues: string[] = [];
    if (view.hashAlgorithm !== SHA256_OID) issues.push(`messageImprint.hashAlgorithm ${view.hashAlgorithm}, expected ${SHA256_OID} as sent in hashAlgo`);
    if (!view.hashedMessage.equals(hash)) issues.push('messageImprint.hashedMessage is not the hash sent');
    // §11.13 timestamp: a nonce sent SHALL be in the token.
    if (view.nonce !== nonce) issues.push(`nonce ${view.nonce ?? '(absent)'}, expected ${nonce}`);
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(view.genTime);
    if (!m) issues.push(`genTime "${view.genTime}" is not a UTC GeneralizedTime`);
    else if (Math.abs(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - Date.now()) > SKEW_MS) issues.push(`genTime ${view.genTime} is more than 5 minutes from now`);
    if (!view.signature.ok) issues.push(view.signature.reason);
    else if (!isTimeStampingCertificate(view.signature.signer)) issues.push(`the signing certificate (${view.signature.signer.subject.replace(/\n/g, ', ')}) lacks id-kp-timeStamping (RFC 3161 §2.3)`);
    failIfAny(issues);
    return `token over the hash with the nonce, genTime ${view.genTime}, signed by ${view.signature.ok ? view.signature.signer.subject.replace(/\n/g, ', ') : ''}`;
  },
};

type Bad = { id: string; title: string; json: Record<string, unknown> };

const BAD: Bad[] = [
  { id: 'timestamp.missing_hash', title: 'no hash', json: { hashAlgo: SHA256_OID } },
  { id: 'timestamp.bad_hash_algo', title: 'an unknown hashAlgo', json: { hash: Buffer.alloc(32, 7).toString('base64'), hashAlgo: '1.2.3.4' } },
  { id: 'timestamp.bad_nonce', title: 'a nonce that is not hex', json: { hash: Buffer.alloc(32, 7).toString('base64'), hashAlgo: SHA256_OID, nonce: 'not-hex' } },
  { id: 'timestamp.bad_length', title: 'a hash of the wrong length for hashAlgo', json: { hash: Buffer.alloc(20, 7).toString('base64'), hashAlgo: SHA256_OID } },
];

const refusals: Check<Session>[] = BAD.map((b) => ({
  id: b.id,
  title: `signatures/timestamp refuses ${b.title} with 400 invalid_request`,
  clause: 'CSC v2 §11.13',
  async run(s) {
    s.needMethod('signatures/timestamp');
    return expectCscError(await s.http.post('signatures/timestamp', { json: b.json }, s.bearer()), `timestamp with ${b.title}`, { statuses: [400], error: 'invalid_request' });
  },
}));

export const timestampGroup: Group<Session> = { name: 'timestamp', checks: () => [token, ...refusals] };
