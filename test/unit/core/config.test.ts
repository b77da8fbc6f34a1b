import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../core/config.ts';

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.publicUrl).toBe('http://localhost:8080');
    expect(c.dataDir.endsWith('/data')).toBe(true);
    expect(c.sam.sadLifetimeSeconds).toBe(300);
    expect(c.sam.maxFailures).toBe(5);
    expect(c.sam.crlUrl).toBe('http://localhost:8080/ca/crl');
  });

  it('names the CRL distribution point from CRL_URL, else PUBLIC_URL; a SAM process with neither names none', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://sign.example.org/' }).sam.crlUrl).toBe('https://sign.example.org/ca/crl');
    expect(loadConfig({ CRL_URL: 'http://crl.example.org/dev.crl' }).sam.crlUrl).toBe('http://crl.example.org/dev.crl');
  });

  it('reads CA_CERTIFICATE_POLICIES into the SAM\'s section and, for the RAR check, into authz\'s; default none', () => {
    const c = loadConfig({ CA_CERTIFICATE_POLICIES: '0.4.0.194112.1.2, 0.4.0.194112.1.0,0.4.0.194112.1.2' });
    expect(c.sam.certificatePolicies).toEqual(['0.4.0.194112.1.2', '0.4.0.194112.1.0']);
    expect(c.authz.certificatePolicies).toEqual(['0.4.0.194112.1.2', '0.4.0.194112.1.0']);
    expect(loadConfig({}).sam.certificatePolicies).toEqual([]);
    expect(loadConfig({}).authz.certificatePolicies).toEqual([]);
    expect(() => loadConfig({ CA_CERTIFICATE_POLICIES: '0.4.0.194112.1.2,qcp-n' })).toThrow('CA_CERTIFICATE_POLICIES: "qcp-n" is not a dotted OID');
    expect(() => loadConfig({ CA_CERTIFICATE_POLICIES: '0.4.0.194112.1.2,' })).toThrow('CA_CERTIFICATE_POLICIES: "" is not a dotted OID');
  });

  it('refuses a port that is not a number', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
  });

  it('refuses every embedded default in production, naming each', () => {
    let message = '';
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'PKCS11_MODULE', 'SAM_PIN', 'ADMIN_TOKEN', 'ADMIN_LISTEN', 'PUBLIC_URL', 'SMTP_HOST or SMS_GATEWAY_URL']) {
      expect(message).toContain(key);
    }
  });

  it('accepts production with every secret given', () => {
    const c = loadConfig({
      NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r', PKCS11_MODULE: '/lib/p11.so',
      SAM_PIN: '12345678', ADMIN_TOKEN: 'a'.repeat(32), ADMIN_LISTEN: '127.0.0.1:9090', PUBLIC_URL: 'https://sign.example.org',
      SMTP_HOST: 'mail.example.org', SMTP_REQUIRE_TLS: 'true',
    });
    expect(c.publicUrl).toBe('https://sign.example.org');
  });

  it('refuses a PIN hash cheaper than scrypt N = 2^15 in production, and takes it elsewhere', () => {
    expect(() => loadConfig({
      NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r', PKCS11_MODULE: '/lib/p11.so',
      SAM_PIN: '12345678', ADMIN_TOKEN: 'a'.repeat(32), ADMIN_LISTEN: '127.0.0.1:9090', PUBLIC_URL: 'https://sign.example.org', PIN_SCRYPT_LOG2N: '12',
    })).toThrow(/PIN_SCRYPT_LOG2N of 15 or more/);
    expect(loadConfig({}).sam.pinScryptLog2N).toBe(15);
    expect(loadConfig({ PIN_SCRYPT_LOG2N: '10' }).sam.pinScryptLog2N).toBe(10);
    expect(() => loadConfig({ PIN_SCRYPT_LOG2N: '9' })).toThrow(/PIN_SCRYPT_LOG2N/);
  });

  it('refuses a one-time certificate shorter than 60 s in production, and takes it elsewhere', () => {
    const prod = {
      NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r', PKCS11_MODULE: '/lib/p11.so',
      SAM_PIN: '12345678', ADMIN_TOKEN: 'a'.repeat(32), ADMIN_LISTEN: '127.0.0.1:9090', PUBLIC_URL: 'https://sign.example.org',
      SMTP_HOST: 'mail.example.org', SMTP_REQUIRE_TLS: 'true',
    };
    expect(() => loadConfig({ ...prod, ONE_TIME_VALIDITY_SECONDS: '59' })).toThrow(/ONE_TIME_VALIDITY_SECONDS of 60 or more/);
    expect(loadConfig({ ...prod, ONE_TIME_VALIDITY_SECONDS: '60' }).rssp.oneTimeValiditySeconds).toBe(60);
    expect(loadConfig({}).rssp.oneTimeValiditySeconds).toBe(900);
    expect(loadConfig({ ONE_TIME_VALIDITY_SECONDS: '3' }).rssp.oneTimeValiditySeconds).toBe(3);
    expect(() => loadConfig({ ONE_TIME_VALIDITY_SECONDS: '0' })).toThrow(/ONE_TIME_VALIDITY_SECONDS/);
  });

  it('refuses SMTP without mandatory, verified TLS in production, and takes it elsewhere', () => {
    const prod = {
      NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r', PKCS11_MODULE: '/lib/p11.so',
      SAM_PIN: '12345678', ADMIN_TOKEN: 'a'.repeat(32), ADMIN_LISTEN: '127.0.0.1:9090', PUBLIC_URL: 'https://sign.example.org', SMTP_HOST: 'mail.example.org',
    };
    expect(() => loadConfig(prod)).toThrow(/SMTP_REQUIRE_TLS=true or SMTP_SECURE=true/);
    expect(() => loadConfig({ ...prod, SMTP_REQUIRE_TLS: 'true', SMTP_TLS_REJECT_UNAUTHORIZED: 'false' })).toThrow(/SMTP_TLS_REJECT_UNAUTHORIZED=true/);
    expect(loadConfig({ ...prod, SMTP_REQUIRE_TLS: 'true' }).publicUrl).toBe('https://sign.example.org');
    expect(loadConfig({ ...prod, SMTP_SECURE: 'true' }).publicUrl).toBe('https://sign.example.org');
    expect(() => loadConfig({ ...prod, NODE_ENV: 'development' })).not.toThrow();
  });

  it('in production wants the admin API on a loopback listener of its own (issue #14 finding 1)', () => {
    const prod = {
      NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r', PKCS11_MODULE: '/lib/p11.so',
      SAM_PIN: '12345678', ADMIN_TOKEN: 'a'.repeat(32), PUBLIC_URL: 'https://sign.example.org', SMS_GATEWAY_URL: 'https://sms.example.org/send',
    };
    expect(() => loadConfig(prod)).toThrow(/ADMIN_LISTEN \(a loopback host:port/);
    expect(() => loadConfig({ ...prod, ADMIN_LISTEN: '0.0.0.0:9090' })).toThrow(/ADMIN_LISTEN on a loopback address/);
    expect(loadConfig({ ...prod, ADMIN_LISTEN: '[::1]:9090' }).admin.listen).toEqual({ host: '::1', port: 9090 });
    expect(loadConfig({ ADMIN_LISTEN: '10.0.0.5:9090' }).admin.listen).toEqual({ host: '10.0.0.5', port: 9090 }); // development: anywhere
    expect(loadConfig({}).admin.listen).toBeUndefined();
  });

  it('in production refuses a SAM whose messages would go to the outbox file (activation links, one-time passwords)', () => {
    const prod = {
      NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r', PKCS11_MODULE: '/lib/p11.so',
      SAM_PIN: '12345678', ADMIN_TOKEN: 'a'.repeat(32), ADMIN_LISTEN: '127.0.0.1:9090', PUBLIC_URL: 'https://sign.example.org',
    };
    expect(() => loadConfig(prod)).toThrow(
      'NODE_ENV=production refuses development defaults; set:\n  SMTP_HOST or SMS_GATEWAY_URL (one-time passwords and activation links must not fall back to the outbox file)',
    );
    expect(loadConfig({ ...prod, SMS_GATEWAY_URL: 'https://sms.example.org/send' }).sam.notify.sms?.url).toBe('https://sms.example.org/send');
    expect(loadConfig({ ...prod, SMTP_HOST: 'mail.example.org', SMTP_SECURE: 'true' }).sam.notify.smtp?.host).toBe('mail.example.org');
  });

  it('refuses a plain-http PUBLIC_URL in production', () => {
    expect(() => loadConfig({
      NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r', PKCS11_MODULE: '/lib/p11.so',
      SAM_PIN: '12345678', ADMIN_TOKEN: 'a'.repeat(32), ADMIN_LISTEN: '127.0.0.1:9090', PUBLIC_URL: 'http://sign.example.org',
    })).toThrow(/https/);
  });
});

describe('configuration from a compose file', () => {
  it('treats an empty variable as unset', () => {
    const c = loadConfig({ DATABASE_URL: '', REDIS_URL: '', PORT: '9090' });
    expect(c.db.url).toBeUndefined();
    expect(c.kv.url).toBeUndefined();
    expect(c.port).toBe(9090);
  });
});
