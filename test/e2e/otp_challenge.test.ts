// Issue #4 items 1 and 3, black-box: credentials/getChallenge delivers a one-time password by real e-mail (an
// SMTP server in this test receives it) and by SMS into the development outbox (read with `outbox:show`); the
// code is accepted once and refused the second time; the 6th challenge within 2 hours is refused with 429 and
// Retry-After; credentials/extendTransaction gives a new SAD still bound to its hashes (signatures checked by
// openssl). The service runs as a process on SoftHSM, PostgreSQL and Redis.
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, adminApi, csc, opensslVerify, pem, type Server, startServer } from './harness.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const PIN = '246810';

type Mail = { from: string; to: string[]; raw: string };
const mails: Mail[] = [];
let smtp: SMTPServer;
let server: Server;

beforeAll(async () => {
  // A plain SMTP server on loopback, as a relay inside a data centre would be; it keeps every message it receives.
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  // REDIS_URL empty: the in-process store, so that other suites' failed logins from 127.0.0.1 cannot throttle ours.
  server = await startServer({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtpPort), SMTP_FROM: 'signing@rssp.test', REDIS_URL: '' });
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

type Person = { username: string; email: string; phone: string; token: string };

async function newPerson(): Promise<Person> {
  const username = `otp-${randomBytes(4).toString('hex')}`;
  const email = `${username}@example.org`;
  const phone = `+41 79 ${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
  await adminApi(server, 'POST', '/admin/users', { username, password: 'correct horse battery', name: 'Otto Example', email, phone });
  const login = await csc(server, 'auth/login', {}, { basic: [username, 'correct horse battery'] });
  expect(login.status).toBe(200);
  return { username, email, phone, token: login.body.access_token };
}

async function newCredential(p: Person, otp: 'email' | 'sms' | 'totp', multisign = 1): Promise<string> {
  const res = await adminApi(server, 'POST', `/admin/users/${p.username}/credentials`, { algo: 'ES256', pin: PIN, otp, multisign });
  return res.credentialID;
}

const digest = (data: string) => createHash('sha256').update(data).digest();
const b64 = (b: Buffer) => b.toString('base64');

function getChallenge(p: Person, credentialID: string, authObjectID = 'OTP') {
  return csc(server, 'credentials/getChallenge', { credentialID, authObjectID }, { bearer: p.token });
}

function authorize(p: Person, credentialID: string, hashes: Buffer[], otp: string) {
  return csc(
    server,
    'credentials/authorize',
    { credentialID, numSignatures: hashes.length, hashes: hashes.map(b64), hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: PIN }, { id: 'OTP', value: otp }] },
    { bearer: p.token },
  );
}

function signHash(p: Person, credentialID: string, sad: string, hashes: Buffer[]) {
  return csc(server, 'signatures/signHash', { credentialID, SAD: sad, hashes: hashes.map(b64), signAlgo: ECDSA_SHA256 }, { bearer: p.token });
}

async function leafPem(p: Person, credentialID: string): Promise<string> {
  const info = await csc(server, 'credentials/info', { credentialID, certificates: 'single' }, { bearer: p.token });
  return pem(info.body.cert.certificates[0]);
}

async function waitForMail(to: string): Promise<Mail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const mail = mails.find((m) => m.to.includes(to));
    if (mail) return mail;
    if (Date.now() > deadline) throw new Error(`no mail for ${to}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function outboxFor(p: Person, viaCli = false): Promise<{ channel: string; to: string; text: string }[]> {
  if (!viaCli) return (await adminApi(server, 'POST', '/admin/outbox', { username: p.username })).messages;
  const res = await admin(server, 'outbox:show', '--username', p.username);
  expect(res.code, res.stderr).toBe(0);
  return res.json.messages;
}

const codeIn = (text: string) => /(?:signing is: |signing code is )(\d{6})\b/.exec(text)?.[1];

describe('credentials/getChallenge', () => {
  it('announces the OTP as a challenge for e-mail credentials and as a TOTP for the others', async () => {
    const p = await newPerson();
    const byMail = await newCredential(p, 'email');
    const byApp = await newCredential(p, 'totp');
    const mailInfo = await csc(server, 'credentials/info', { credentialID: byMail, authInfo: true }, { bearer: p.token });
    expect(mailInfo.body.auth.objects).toContainEqual({
      type: 'ChallengeResponse', id: 'OTP', format: 'N', label: 'OTP', description: 'The code sent to your e-mail address',
    });
    const appInfo = await csc(server, 'credentials/info', { credentialID: byApp, authInfo: true }, { bearer: p.token });
    expect(appInfo.body.auth.objects.find((o: { id: string }) => o.id === 'OTP')).toMatchObject({ type: 'Password', generator: 'totp' });
  });

  it('e-mails a code through the SMTP server; the code authorizes once and is refused the second time', async () => {
    const p = await newPerson();
    const credentialID = await newCredential(p, 'email');
    const res = await getChallenge(p, credentialID);
    expect(res.status).toBe(204);
    const mail = await waitForMail(p.email);
    expect(mail.from).toBe('signing@rssp.test');
    expect(mail.raw).toMatch(/^Subject: Your signing code\r?$/m);
    const code = codeIn(mail.raw)!;
    expect(code).toMatch(/^\d{6}$/);

    const hash = digest('contract.pdf');
    const ok = await authorize(p, credentialID, [hash], code);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const signed = await signHash(p, credentialID, ok.body.SAD, [hash]);
    expect(signed.status).toBe(200);
    expect(await opensslVerify({ certPem: await leafPem(p, credentialID), digest: hash, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256' })).toBe(true);

    const again = await authorize(p, credentialID, [hash], code);
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'invalid_authentication_data', error_description: 'The authentication data is invalid' });
  });

  it('sends an SMS into the development outbox, shown by outbox:show for that user only', async () => {
    const p = await newPerson();
    const other = await newPerson();
    const credentialID = await newCredential(p, 'sms');
    expect((await getChallenge(p, credentialID)).status).toBe(204);
    const messages = await outboxFor(p, true);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ channel: 'sms', to: p.phone });
    expect(codeIn(messages[0]!.text)).toMatch(/^\d{6}$/);
    expect(await outboxFor(other, true)).toEqual([]);
    expect(server.output()).not.toContain(codeIn(messages[0]!.text)!);
  });

  it('refuses the 6th challenge within 2 hours with 429 and Retry-After', async () => {
    const p = await newPerson();
    const credentialID = await newCredential(p, 'sms');
    for (let i = 0; i < 5; i++) expect((await getChallenge(p, credentialID)).status).toBe(204);
    const sixth = await getChallenge(p, credentialID);
    expect(sixth.status).toBe(429);
    expect(sixth.body).toEqual({ error: 'access_denied', error_description: 'Too many one-time passwords requested for this credential; try again later' });
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(7000);
    expect(retryAfter).toBeLessThanOrEqual(7200);
    expect(await outboxFor(p)).toHaveLength(5);
  });

  it('refuses an authentication object other than OTP, a TOTP credential, and another user\'s credential', async () => {
    const p = await newPerson();
    const byApp = await newCredential(p, 'totp');
    const bySms = await newCredential(p, 'sms');
    const invalidObject = { error: 'invalid_request', error_description: 'Invalid parameter authObjectID' };
    expect((await getChallenge(p, bySms, 'PIN')).body).toEqual(invalidObject);
    const totp = await getChallenge(p, byApp);
    expect(totp.status).toBe(400);
    expect(totp.body).toEqual(invalidObject);
    const stranger = await newPerson();
    const foreign = await getChallenge(stranger, bySms);
    expect(foreign.body).toEqual({ error: 'invalid_request', error_description: 'Invalid parameter credentialID' });
    const missing = await csc(server, 'credentials/getChallenge', { credentialID: bySms }, { bearer: p.token });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    expect(missing.body.error_description).toMatch(/authObjectID/);
  });
});

describe('credentials/extendTransaction', () => {
  it('gives a new SAD bound to the same remaining hashes; the old SAD is superseded', async () => {
    const p = await newPerson();
    const credentialID = await newCredential(p, 'sms', 2);
    await getChallenge(p, credentialID);
    const code = codeIn((await outboxFor(p)).at(-1)!.text)!;
    const [h1, h2] = [digest('page 1'), digest('page 2')];
    const auth = await authorize(p, credentialID, [h1, h2], code);
    expect(auth.status, JSON.stringify(auth.body)).toBe(200);
    expect((await signHash(p, credentialID, auth.body.SAD, [h1])).status).toBe(200);

    const ext = await csc(
      server,
      'credentials/extendTransaction',
      { credentialID, SAD: auth.body.SAD, hashes: [b64(h2)], hashAlgorithmOID: SHA256 },
      { bearer: p.token },
    );
    expect(ext.status, JSON.stringify(ext.body)).toBe(200);
    expect(ext.body.SAD).not.toBe(auth.body.SAD);
    expect(ext.body.expiresIn).toBeGreaterThan(0);

    // Bound to its hashes: h1 is already signed, new content was never authorized.
    const wrong = await signHash(p, credentialID, ext.body.SAD, [digest('page 3')]);
    expect(wrong.body).toEqual({ error: 'invalid_request', error_description: 'Hash is not authorized by the SAD' });
    const old = await signHash(p, credentialID, auth.body.SAD, [h2]);
    expect(old.body).toEqual({ error: 'invalid_request', error_description: 'Invalid parameter SAD' });
    const signed = await signHash(p, credentialID, ext.body.SAD, [h2]);
    expect(signed.status).toBe(200);
    expect(await opensslVerify({ certPem: await leafPem(p, credentialID), digest: h2, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256' })).toBe(true);
    const spent = await signHash(p, credentialID, ext.body.SAD, [h2]);
    expect(spent.body).toEqual({ error: 'invalid_request', error_description: 'The SAD has been used for all the signatures it authorizes' });
  });

  it('refuses new content, a SCAL 2 request without hashes, and a SAD of another credential', async () => {
    const p = await newPerson();
    const credentialID = await newCredential(p, 'sms', 2);
    const otherCredential = await newCredential(p, 'sms');
    await getChallenge(p, credentialID);
    const code = codeIn((await outboxFor(p)).at(-1)!.text)!;
    const h = digest('annex');
    const auth = await authorize(p, credentialID, [h, h], code);
    expect(auth.status).toBe(200);
    const extend = (body: Record<string, unknown>) => csc(server, 'credentials/extendTransaction', { credentialID, SAD: auth.body.SAD, ...body }, { bearer: p.token });
    expect((await extend({ hashes: [b64(digest('new'))], hashAlgorithmOID: SHA256 })).body).toEqual({
      error: 'invalid_request', error_description: 'Hash is not authorized by the SAD',
    });
    expect((await extend({})).body).toEqual({ error: 'invalid_request', error_description: 'Missing (or invalid type) array parameter hashes' });
    expect((await extend({ credentialID: otherCredential, hashes: [b64(h)], hashAlgorithmOID: SHA256 })).body).toEqual({
      error: 'invalid_request', error_description: 'Invalid parameter SAD',
    });
    expect((await extend({ hashes: [b64(h)], hashAlgorithmOID: SHA256 })).status).toBe(200);
  });
});
