// The client's PDF and CMS layers on PDFs written by real producers — Chromium's print-to-PDF (Skia) and cairo
// (pdftocairo) — signed with a throw-away CA made by openssl, then checked by pdfsig with that CA trusted. No
// service involved: this pins the file handling against writers other than our own fixtures.
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareSignerInfo } from '../../client/cms/signed_data.ts';
import { preparePdfSignature } from '../../client/pdf/signature_update.ts';
import { classicPdf } from '../unit/client/pdf_fixtures.ts';

const run = promisify(execFile);
let dir: string;
const f = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rssp-pdfprod-'));
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('root.key'), '-out', f('root.pem'), '-subj', '/CN=Unit Test Root', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/CN=Unit Test Signer']);
  writeFileSync(f('ext.cnf'), 'keyUsage=critical,digitalSignature,nonRepudiation\n');
  await run('openssl', ['x509', '-req', '-in', f('leaf.csr'), '-CA', f('root.pem'), '-CAkey', f('root.key'), '-CAcreateserial', '-out', f('leaf.pem'), '-days', '2', '-extfile', f('ext.cnf')]);
  mkdirSync(f('nss'));
  await run('certutil', ['-N', '-d', `sql:${f('nss')}`, '--empty-password']);
  await run('certutil', ['-A', '-d', `sql:${f('nss')}`, '-n', 'unit-root', '-t', 'CT,C,C', '-i', f('root.pem')]);
}, 30_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const der = (pemText: string) => Buffer.from(pemText.replace(/-----[^-]+-----|\s/g, ''), 'base64');

function signPdf(original: Uint8Array): Buffer {
  const prepared = preparePdfSignature(original, { signingTime: new Date() });
  const chain = [der(readFileSync(f('leaf.pem'), 'utf8')), der(readFileSync(f('root.pem'), 'utf8'))];
  const signer = prepareSignerInfo({ chain, scheme: { kind: 'ec', hash: 'sha256' }, contentDigest: createHash('sha256').update(prepared.signedBytes()).digest() });
  return Buffer.from(prepared.embed(signer.finish(sign('sha256', signer.signedAttrsDer, createPrivateKey(readFileSync(f('leaf.key')))))));
}

async function pdfsig(file: string): Promise<string> {
  const { stdout } = await run('pdfsig', ['-nssdir', `sql:${f('nss')}`, file]).catch((e: { stdout: string; stderr: string }) => ({ stdout: e.stdout + e.stderr }));
  return stdout;
}

describe('PDFs from other producers', () => {
  it('Chromium print-to-PDF, pdftocairo output and a damaged file: signed as an incremental update, pdfsig finds the signature valid and trusted', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    let printed: Buffer;
    try {
      const page = await browser.newPage();
      await page.setContent('<h1>Purchase agreement</h1><p>Signed remotely.</p><a href="https://example.org">a link annotation</a>');
      printed = await page.pdf({ format: 'A4' });
    } finally {
      await browser.close();
    }
    writeFileSync(f('fixture.pdf'), classicPdf());
    await run('pdftocairo', ['-pdf', f('fixture.pdf'), f('cairo.pdf')]);
    // And a file whose xref offsets are all wrong (bytes inserted after the header): rebuilt, then listed in full.
    const damaged = Buffer.from(classicPdf().toString('latin1').replace('%PDF-1.4\n', '%PDF-1.4\n% inserted\n'), 'latin1');
    const inputs = { chromium: printed, cairo: readFileSync(f('cairo.pdf')), damaged };

    for (const [name, original] of Object.entries(inputs)) {
      const signed = signPdf(original);
      expect(signed.subarray(0, original.length).equals(original)).toBe(true);
      writeFileSync(f(`${name}-signed.pdf`), signed);
      const out = await pdfsig(f(`${name}-signed.pdf`));
      expect(out, name).toContain('- Signature Type: ETSI.CAdES.detached');
      expect(out, name).toContain('- Signature Validation: Signature is Valid.');
      expect(out, name).toContain('- Certificate Validation: Certificate is Trusted.');
      expect(out, name).toContain('- Total document signed');
      const { stdout } = await run('pdfinfo', [f(`${name}-signed.pdf`)]);
      expect(stdout, name).toMatch(/^Pages:\s+1$/m);
      expect(stdout, name).toMatch(/^Form:\s+AcroForm$/m);
    }
  }, 30_000);
});
