// Configuration of out-of-band delivery and of the issue #4 policies: defaults, SMTP and SMS gateway sections,
// and clear refusals of malformed values.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../core/config.ts';

describe('notify and OTP configuration', () => {
  it('defaults: 6 digits, 5 minutes, 5 per 2 hours, 1 hour transactions, 5 minute approvals, everything to the outbox', () => {
    const c = loadConfig({});
    expect(c.sam.otpChallenge).toEqual({ digits: 6, lifetimeSeconds: 300, max: 5, windowSeconds: 7200 });
    expect(c.sam.sadMaxTransactionSeconds).toBe(3600);
    expect(c.sam.approvalLifetimeSeconds).toBe(300);
    expect(c.sam.notify).toEqual({});
  });

  it('reads the SMTP section, with the password from a file', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'smtp-pass');
    writeFileSync(file, 's3cret\n');
    const c = loadConfig({
      SMTP_HOST: 'mail.example.org', SMTP_PORT: '465', SMTP_SECURE: 'true', SMTP_USER: 'rssp', SMTP_PASSWORD_FILE: file, SMTP_FROM: 'sign@example.org',
    });
    expect(c.sam.notify.smtp).toEqual({
      host: 'mail.example.org', port: 465, secure: true, requireTls: false, rejectUnauthorized: true, user: 'rssp', password: 's3cret', from: 'sign@example.org',
    });
  });

  it('reads the SMS gateway section; headers must be a JSON object of strings', () => {
    const c = loadConfig({ SMS_GATEWAY_URL: 'https://sms.example.net/send', SMS_GATEWAY_HEADERS: '{"Authorization":"Bearer k"}', SMS_GATEWAY_METHOD: 'PUT' });
    expect(c.sam.notify.sms).toEqual({
      url: 'https://sms.example.net/send', method: 'PUT', headers: { Authorization: 'Bearer k' }, bodyTemplate: '{"to":"{{to}}","text":"{{text}}"}',
    });
    expect(() => loadConfig({ SMS_GATEWAY_URL: 'https://sms.example.net', SMS_GATEWAY_HEADERS: '[1]' })).toThrow(ConfigError);
    expect(() => loadConfig({ SMS_GATEWAY_URL: 'https://sms.example.net', SMS_GATEWAY_HEADERS: 'nope' })).toThrow('SMS_GATEWAY_HEADERS: not JSON');
  });

  it('bounds the OTP length to 6–8 digits', () => {
    expect(loadConfig({ OTP_DIGITS: '8' }).sam.otpChallenge?.digits).toBe(8);
    expect(() => loadConfig({ OTP_DIGITS: '5' })).toThrow(/OTP_DIGITS/);
    expect(() => loadConfig({ OTP_DIGITS: '9' })).toThrow(/OTP_DIGITS/);
  });
});
