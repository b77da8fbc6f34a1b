// No secret in logs (brief, DESIGN §6 core/log): a whole flow at trace level, right and wrong factors, success
// and refusal, must not write a PIN, an OTP, a TOTP secret or a SAD to the log.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REDACT } from '../../../core/log.ts';
import { authorize, ctx, digest, ECDSA_SHA256, newSigner, otpAt, setup, type Env } from './helpers.ts';

let env: Env;
const lines: string[] = [];
beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  env = await setup({ log: pino({ level: 'trace', redact: { paths: REDACT, censor: '[redacted]' } }, sink) });
});
afterAll(async () => env.close());

it('logs events by id only', async () => {
  const s = await newSigner(env);
  const wrongOtp = await otpAt(env, s, 5);
  await env.sam
    .activate({ ctx: ctx(), userId: s.userId, clientId: 'c', credentialID: s.credentialID, numSignatures: 1, hashes: [digest('d')], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', factors: { pin: 'wrong-pin-123', otp: wrongOtp } })
    .catch(() => undefined);
  const sad = await authorize(env, s, [digest('d')]);
  env.hsm.corruptSignatures = true;
  await env.sam
    .signHash({ ctx: ctx(), sad, userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, hashes: [digest('d')], signAlgo: ECDSA_SHA256 })
    .catch(() => undefined);
  env.hsm.corruptSignatures = false;

  const log = lines.join('');
  expect(log).toContain('SAD issued');
  expect(log).toContain(s.credentialID);
  // the OTP quoted: six bare digits could occur inside a timestamp
  for (const secret of [s.pin, 'wrong-pin-123', JSON.stringify(wrongOtp), s.secret!, sad, sad.split('.')[2]!]) {
    expect(log).not.toContain(secret);
  }
});
