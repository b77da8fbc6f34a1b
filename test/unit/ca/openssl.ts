// The openssl command line as an independent second opinion on what sam/ca produces.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'rssp-ca-'));
}

export function pem(der: Uint8Array, type = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${type}-----\n${b64}\n-----END ${type}-----\n`;
}

export function writePem(dir: string, name: string, der: Uint8Array, type = 'CERTIFICATE'): string {
  const path = join(dir, name);
  writeFileSync(path, pem(der, type));
  return path;
}

export function openssl(args: string[], cwd?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** DER from PEM text (the first block). */
export function derOf(pemText: string): Uint8Array {
  const body = pemText.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}
