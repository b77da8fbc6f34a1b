// The development CA's CRL (RFC 5280 §5) on a real SoftHSM2 token and PostgreSQL: openssl verifies it under the root,
// it is a v2 CRL with a CRL number and the CA's key identifier, lists no certificate, its nextUpdate is the configured
// time ahead, and it is served from the cache until half of that time has passed.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { createLogger } from '../../../core/log.ts';
import type { SignatureActivation } from '../../../core/sam_port.ts';
import type { Hsm } from '../../../sam/hsm/hsm.ts';
import { openPkcs11Hsm } from '../../../sam/hsm/pkcs11/index.ts';
import { createSamOnHsm } from '../../../sam/assemble.ts';
import { ensureDevToken } from '../../../softhsm-config/dev_token.ts';

const run = promisify(execFile);
const LABEL = `crl-${randomUUID().slice(0, 8)}`;
const pem = (der: Uint8Array, what: string) =>
  `-----BEGIN ${what}-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${what}-----\n`;
let dataDir: string;
let hsm: Hsm;
let db: Db;
let sam: SignatureActivation;
let clock = Date.parse('2026-12-03T12:00:00Z');

async function file(name: string, data: string): Promise<string> {
  const p = path.join(dataDir, `${randomUUID()}-${name}`);
  await writeFile(p, data);
  return p;
}

async function opensslCrl(crl: Uint8Array, caDer: Uint8Array): Promise<{ out: string; err: string }> {
  const { stdout, stderr } = await run('openssl', ['crl', '-noout', '-text', '-verify', '-in', await file('ca.crl', pem(crl, 'X509 CRL')), '-CAfile', await file('ca.pem', pem(caDer, 'CERTIFICATE'))]);
  return { out: stdout, err: stderr };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sam-crl-'));
  const token = await ensureDevToken({ dataDir, label: LABEL });
  hsm = await openPkcs11Hsm({ module: token.module, tokenLabel: LABEL, pin: token.pin, sessions: 4 });
  db = createPool(process.env.DATABASE_URL!, 8);
  await migrate(db);
  sam = await createSamOnHsm({
    db, hsm, log: createLogger('silent'), now: () => new Date(clock),
    config: { tokenLabel: LABEL, sessions: 4, sadLifetimeSeconds: 300, maxFailures: 5, pinScryptLog2N: 10, crlNextUpdateHours: 48 },
  });
});

afterAll(async () => {
  await hsm?.close();
  await db?.end();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the development CA CRL', () => {
  it('verifies under the root, is v2 with a CRL number and the authority key identifier, and lists nothing', async () => {
    const crl = await sam.crl();
    const { out, err } = await opensslCrl(crl, await sam.caCertificate());
    expect(err).toContain('verify OK');
    expect(out).toContain('Version 2 (0x1)');
    expect(out).toContain('CN = RSSP Development CA');
    expect(out).toContain('Last Update: Dec  3 11:59:00 2026 GMT');
    expect(out).toContain('Next Update: Dec  5 11:59:00 2026 GMT');
    expect(out).toMatch(new RegExp(`X509v3 CRL Number: *\\n *${Math.floor(Date.parse('2026-12-03T11:59:00Z') / 1000)}\\n`));
    expect(out).toContain('X509v3 Authority Key Identifier');
    expect(out).toContain('No Revoked Certificates.');
  });

  it('is served from the cache until half-way to nextUpdate, then signed again with a larger number', async () => {
    const first = await sam.crl();
    clock += 23 * 3_600_000;
    expect(Buffer.from(await sam.crl()).equals(Buffer.from(first))).toBe(true);
    clock += 2 * 3_600_000;
    const next = await sam.crl();
    expect(Buffer.from(next).equals(Buffer.from(first))).toBe(false);
    const { out, err } = await opensslCrl(next, await sam.caCertificate());
    expect(err).toContain('verify OK');
    expect(out).toContain('Last Update: Dec  4 12:59:00 2026 GMT');
  });
});
