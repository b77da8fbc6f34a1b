// The notifier adapters against real local servers: an SMTP server (smtp-server) that requires a login and
// receives the actual e-mail, an HTTP server standing in for an SMS gateway, and the outbox directory.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxNotifier, readOutbox } from '../../../sam/notify/outbox_notifier.ts';
import { renderTemplate, smsGatewayNotifier } from '../../../sam/notify/sms_gateway_notifier.ts';
import { smtpNotifier } from '../../../sam/notify/smtp_notifier.ts';

const message = { to: 'alice@example.org', username: 'alice', subject: 'Your signing code', text: 'Your one-time password for signing is: 042917' };

describe('SMTP notifier', () => {
  const received: { user?: string; from: string; to: string[]; raw: string }[] = [];
  let smtp: SMTPServer;
  let port: number;
  beforeAll(async () => {
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'rssp' && auth.password === 's3cret') cb(null, { user: 'rssp' });
        else cb(new Error('Invalid username or password'));
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            user: session.user as string | undefined,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    port = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => smtp.close(() => r())));

  const config = (over: Partial<Parameters<typeof smtpNotifier>[0]> = {}) => ({
    host: '127.0.0.1', port, secure: false, requireTls: false, rejectUnauthorized: true, user: 'rssp', password: 's3cret', from: 'signing@rssp.test', ...over,
  });

  it('logs in and delivers the message to the server', async () => {
    await smtpNotifier(config()).send({ channel: 'email', ...message });
    const mail = received.at(-1)!;
    expect(mail).toMatchObject({ user: 'rssp', from: 'signing@rssp.test', to: ['alice@example.org'] });
    expect(mail.raw).toMatch(/^Subject: Your signing code\r?$/m);
    expect(mail.raw).toContain('Your one-time password for signing is: 042917');
  });

  it('fails with a message that carries neither the text nor the password', async () => {
    const err = await smtpNotifier(config({ password: 'wrong' })).send({ channel: 'email', ...message }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^SMTP delivery failed/);
    expect((err as Error).message).not.toMatch(/042917|wrong/);
  });

  it('refuses to send in clear when TLS is required and the server offers none', async () => {
    const err = await smtpNotifier(config({ requireTls: true })).send({ channel: 'email', ...message }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^SMTP delivery failed/);
  });
});

describe('SMS gateway notifier', () => {
  const requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  let status = 202;
  let gateway: http.Server;
  let base: string;
  beforeAll(async () => {
    gateway = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.statusCode = status;
        res.end('{"id":"m-1"}');
      });
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => gateway.close(() => r())));

  const sms = { channel: 'sms' as const, to: '+41 79 123 45 67', username: 'alice', subject: 'x', text: 'Your signing code is 042917. "Never" share it.' };

  it('POSTs the JSON template with the configured headers, values JSON-escaped', async () => {
    status = 202;
    await smsGatewayNotifier({
      url: `${base}/v1/messages`,
      method: 'POST',
      headers: { Authorization: 'Bearer gw-key' },
      bodyTemplate: '{"recipient":"{{to}}","message":"{{text}}","sender":"RSSP"}',
    }).send(sms);
    const req = requests.at(-1)!;
    expect(req).toMatchObject({ method: 'POST', url: '/v1/messages' });
    expect(req.headers.authorization).toBe('Bearer gw-key');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ recipient: '+41 79 123 45 67', message: sms.text, sender: 'RSSP' });
  });

  it('form-encodes the values when the Content-Type says so, and GETs with the template in the URL', async () => {
    await smsGatewayNotifier({
      url: `${base}/send`,
      method: 'PUT',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      bodyTemplate: 'to={{to}}&text={{text}}',
    }).send(sms);
    expect(Object.fromEntries(new URLSearchParams(requests.at(-1)!.body))).toEqual({ to: sms.to, text: sms.text });
    await smsGatewayNotifier({ url: `${base}/get?to={{to}}&text={{text}}`, method: 'GET', headers: {}, bodyTemplate: '' }).send(sms);
    const url = new URL(requests.at(-1)!.url, base);
    expect(requests.at(-1)!.method).toBe('GET');
    expect(url.searchParams.get('to')).toBe(sms.to);
    expect(url.searchParams.get('text')).toBe(sms.text);
  });

  it('fails on a non-2xx answer and on an unreachable gateway, without the message in the error', async () => {
    status = 500;
    const err = await smsGatewayNotifier({ url: `${base}/x`, method: 'POST', headers: {}, bodyTemplate: '{"t":"{{text}}"}' }).send(sms).catch((e: Error) => e);
    expect((err as Error).message).toBe('SMS gateway answered 500');
    const down = await smsGatewayNotifier({ url: 'http://127.0.0.1:1/x', method: 'POST', headers: {}, bodyTemplate: '{}' }).send(sms).catch((e: Error) => e);
    expect((down as Error).message).toMatch(/^SMS gateway unreachable/);
  });

  it('leaves unknown placeholders alone', () => {
    expect(renderTemplate('{{to}} {{other}}', { to: 'a"b' }, 'application/json')).toBe('a\\"b {{other}}');
  });
});

describe('outbox notifier', () => {
  it('writes one private file per message and reads them back by username', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'outbox-')), 'outbox');
    try {
      const out = outboxNotifier(dir);
      await out.send({ channel: 'email', ...message });
      await out.send({ channel: 'sms', to: '+41', username: 'Bob', subject: 's', text: 't' });
      const files = readdirSync(dir);
      expect(files).toHaveLength(2);
      for (const f of files) expect(statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
      expect((await readOutbox(dir, { username: 'ALICE' })).map((m) => m.text)).toEqual([message.text]);
      expect((await readOutbox(dir, { username: 'bob' }))[0]).toMatchObject({ channel: 'sms', to: '+41' });
      expect(await readOutbox(dir)).toHaveLength(2);
      expect(await readOutbox(path.join(dir, 'missing'))).toEqual([]);
    } finally {
      rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
