// Third-party verifiers for AdES outputs, as an independent relying party runs them: poppler's pdfsig (with an NSS
// database trusting only our root), `openssl cms -verify`, and `openssl ts -verify` on a signature-time-stamp taken
// out of a CMS SignerInfo (RFC 3161 Appendix A: its imprint is the hash of the signature value).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { tmpFile } from './harness.ts';

const run = promisify(execFile);

async function output(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout, stderr } = await run(cmd, args);
    return { ok: true, out: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** An NSS database trusting only `rootPem` as a CA: what pdfsig validates the certificate chain against. */
export async function nssDbTrusting(rootPem: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rssp-nss-'));
  await run('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  await run('certutil', ['-A', '-d', `sql:${dir}`, '-n', 'rssp-dev-root', '-t', 'CT,C,C', '-i', tmpFile('root.pem', rootPem)]);
  return dir;
}

export async function pdfsig(pdf: Uint8Array, nssDir: string): Promise<string> {
  return (await output('pdfsig', ['-nssdir', `sql:${nssDir}`, tmpFile('signed.pdf', pdf)])).out;
}

/** openssl cms -verify of a DER CMS (detached when `content` is given), against `rootPem` only. */
export async function cmsVerify(cms: Uint8Array, rootPem: string, content?: Uint8Array): Promise<{ ok: boolean; out: string; content: Buffer }> {
  const outFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'rssp-cms-')), 'content.bin');
  const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', tmpFile('sig.p7s', cms), '-CAfile', tmpFile('root.pem', rootPem), '-out', outFile];
  if (content) args.push('-content', tmpFile('content.bin', content));
  const r = await output('openssl', args);
  return { ok: r.ok && /Verification successful/.test(r.out), out: r.out, content: existsSync(outFile) ? readFileSync(outFile) : Buffer.alloc(0) };
}

/** The DER CMS inside /Contents of the last signature of a PDF (its /ByteRange gap, zero padding removed). */
export function cmsOfPdf(pdf: Uint8Array): Uint8Array {
  const text = Buffer.from(pdf).toString('latin1');
  const ranges = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
  const last = ranges[ranges.length - 1]!;
  const hex = text.slice(Number(last[2]) + 1, Number(last[3]) - 1);
  const bytes = Buffer.from(hex, 'hex');
  const parsed = asn1js.fromBER(bytes);
  return new Uint8Array(bytes.subarray(0, parsed.offset));
}

export function signerInfoOf(cms: Uint8Array): pkijs.SignerInfo {
  const ci = pkijs.ContentInfo.fromBER(cms);
  return new pkijs.SignedData({ schema: ci.content }).signerInfos[0]!;
}

/** The signature-time-stamp of the first SignerInfo, or undefined. */
export function signatureTimestampOf(cms: Uint8Array): { token: Uint8Array; signatureValue: Uint8Array } | undefined {
  const si = signerInfoOf(cms);
  const attr = si.unsignedAttrs?.attributes.find((a) => a.type === '1.2.840.113549.1.9.16.2.14');
  if (!attr) return undefined;
  return { token: new Uint8Array(attr.values[0]!.toBER()), signatureValue: new Uint8Array(si.signature.valueBlock.valueHexView) };
}

/** openssl ts -verify of the token over sha256(signature value), with the TSA certificate it carries as untrusted. */
export async function tsVerify(token: Uint8Array, signatureValue: Uint8Array, rootPem: string): Promise<{ ok: boolean; out: string }> {
  const tok = tmpFile('tok.tsr', token);
  const certs = (await run('openssl', ['pkcs7', '-inform', 'DER', '-in', tok, '-print_certs'])).stdout;
  const digest = createHash('sha256').update(signatureValue).digest('hex');
  const r = await output('openssl', ['ts', '-verify', '-digest', digest, '-in', tok, '-token_in', '-CAfile', tmpFile('root.pem', rootPem), '-untrusted', tmpFile('tsa.pem', certs)]);
  return { ok: /Verification: OK/.test(r.out), out: r.out };
}
