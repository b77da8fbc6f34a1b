import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../core/config.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rssp-split-config-'));
for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(dir, f), `-----BEGIN ${f}-----\n`);
const tls = { SAM_TLS_CA: path.join(dir, 'ca.pem'), SAM_TLS_CERT: path.join(dir, 'cert.pem'), SAM_TLS_KEY: path.join(dir, 'key.pem') };
const db = { DATABASE_URL: 'postgres://db/x' };

describe('SERVICES (split mode)', () => {
  it('defaults to one process with no split section', () => {
    const c = loadConfig({});
    expect(c.services).toBe('all');
    expect(c.split).toBeUndefined();
  });

  it('reads the listen address and the three PEM files for the SAM', () => {
    const c = loadConfig({ SERVICES: 'sam', SAM_LISTEN: '[::1]:9444', ...tls, ...db });
    expect(c.split!.samListen).toEqual({ host: '::1', port: 9444 });
    expect(c.split!.tls.ca).toBe('-----BEGIN ca.pem-----\n');
    expect(loadConfig({ SERVICES: 'sam', ...tls, ...db }).split!.samListen).toEqual({ host: '127.0.0.1', port: 9443 });
    // Its PORT serves probes only: without PUBLIC_URL or CRL_URL its certificates name no CRL distribution point.
    expect(loadConfig({ SERVICES: 'sam', ...tls, ...db }).sam.crlUrl).toBeUndefined();
    expect(loadConfig({ SERVICES: 'sam', PUBLIC_URL: 'https://sign.example.org', ...tls, ...db }).sam.crlUrl).toBe('https://sign.example.org/ca/crl');
  });

  it('refuses what cannot work, naming the setting', () => {
    const refused = (env: Record<string, string>, message: string) => expect(() => loadConfig(env)).toThrow(new ConfigError(message));
    refused({ SERVICES: 'sam', ...tls }, 'SERVICES=sam and SERVICES=api need DATABASE_URL: the embedded database lives in one process');
    refused({ SERVICES: 'api', ...tls, ...db }, "SERVICES=api needs SAM_URL (the SAM's https URL)");
    refused({ SERVICES: 'api', SAM_URL: 'http://sam:9443', ...tls, ...db }, 'SAM_URL must be https: the api tier reaches the SAM with mutual TLS only');
    refused({ SERVICES: 'api', SAM_URL: 'https://sam:9443', ...db, SAM_TLS_CA: tls.SAM_TLS_CA, SAM_TLS_CERT: tls.SAM_TLS_CERT },
      'SERVICES=sam and SERVICES=api need SAM_TLS_KEY (a PEM file; see tls:dev in admin/README.md)');
    refused({ SERVICES: 'sam', ...tls, SAM_TLS_KEY: path.join(dir, 'missing.pem'), ...db }, `SAM_TLS_KEY: cannot read ${path.join(dir, 'missing.pem')} (ENOENT)`);
    refused({ SERVICES: 'sam', ...tls, ...db, SAM_LISTEN: '127.0.0.1:99999' }, 'SAM_LISTEN: port above 65535');
    expect(() => loadConfig({ SERVICES: 'both' })).toThrow(ConfigError);
    expect(() => loadConfig({ SERVICES: 'sam', SAM_LISTEN: 'nocolon', ...tls, ...db })).toThrow(/SAM_LISTEN: host:port/);
  });

  it('in production asks the SAM for no admin token, Redis or public URL, and the api for no PKCS#11 module', () => {
    const prod = { NODE_ENV: 'production', ...db };
    expect(loadConfig({ ...prod, SERVICES: 'sam', ...tls, PKCS11_MODULE: '/hsm.so', SAM_PIN: '1234', SMTP_HOST: 'mail', SMTP_SECURE: 'true' }).services).toBe('sam');
    expect(
      loadConfig({ ...prod, SERVICES: 'api', ...tls, SAM_URL: 'https://sam:9443', REDIS_URL: 'redis://kv', ADMIN_TOKEN: 'a'.repeat(32), ADMIN_LISTEN: '127.0.0.1:9090', PUBLIC_URL: 'https://sign.example' }).services,
    ).toBe('api');
  });
});
