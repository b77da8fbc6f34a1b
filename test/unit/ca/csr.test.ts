import { describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import type { KeyAlgo } from '../../../core/sam_port.ts';
import { createCsr } from '../../../sam/ca/csr.ts';
import { FakeHsm } from './fake_hsm.ts';
import { openssl, tempDir, writePem } from './openssl.ts';

const SIGNATURE: Record<KeyAlgo, { oid: string; openssl: string }> = {
  'EC-P256': { oid: '1.2.840.10045.4.3.2', openssl: 'ecdsa-with-SHA256' },
  'EC-P384': { oid: '1.2.840.10045.4.3.3', openssl: 'ecdsa-with-SHA384' },
  'RSA-2048': { oid: '1.2.840.113549.1.1.11', openssl: 'sha256WithRSAEncryption' },
  'RSA-3072': { oid: '1.2.840.113549.1.1.11', openssl: 'sha256WithRSAEncryption' },
};

async function credentialKey(algo: KeyAlgo) {
  const hsm = new FakeHsm();
  const pair = await hsm.generateKeyPair({ algo, label: `cred-${algo}` });
  return { hsm, key: { ...pair, algo } };
}

describe('createCsr', () => {
  it.each(Object.keys(SIGNATURE) as KeyAlgo[])('makes a %s request that openssl verifies, signed by the key itself', async (algo) => {
    const { hsm, key } = await credentialKey(algo);
    const der = await createCsr(hsm, key, { commonName: 'Alice Example', email: 'alice@example.org' });
    expect(hsm.signCalls).toBe(1);

    const dir = tempDir();
    const path = writePem(dir, 'req.pem', der, 'CERTIFICATE REQUEST');
    const verified = openssl(['req', '-in', path, '-verify', '-noout']);
    expect(verified.code).toBe(0);
    expect(verified.stderr + verified.stdout).toMatch(/verify OK/);

    const text = openssl(['req', '-in', path, '-noout', '-text', '-nameopt', 'RFC2253,-esc_msb']).stdout;
    expect(text).toMatch(/Subject: emailAddress=alice@example.org,CN=Alice Example\n/);
    expect(text).toMatch(new RegExp(`Signature Algorithm: ${SIGNATURE[algo].openssl}`));
    expect(text).toMatch(/Requested Extensions:\s+X509v3 Subject Alternative Name:\s*\n\s+email:alice@example.org\n/);

    const pub = openssl(['req', '-in', path, '-noout', '-pubkey']).stdout;
    const spkiB64 = Buffer.from(key.spki).toString('base64');
    expect(pub.replace(/-----[^-]+-----|\s/g, '')).toBe(spkiB64);

    const req = AsnConvert.parse(der, CertificationRequest);
    expect(req.signatureAlgorithm.algorithm).toBe(SIGNATURE[algo].oid);
    expect(req.certificationRequestInfo.version).toBe(0);
  });

  it('carries no attributes without an email', async () => {
    const { hsm, key } = await credentialKey('EC-P256');
    const der = await createCsr(hsm, key, { commonName: 'Bob' });
    const req = AsnConvert.parse(der, CertificationRequest);
    expect(req.certificationRequestInfo.attributes ?? []).toHaveLength(0);
    const path = writePem(tempDir(), 'req.pem', der, 'CERTIFICATE REQUEST');
    expect(openssl(['req', '-in', path, '-noout', '-subject', '-nameopt', 'RFC2253']).stdout.trim()).toBe('subject=CN=Bob');
  });

  it('refuses to hand out a request whose signature is not by the key it names', async () => {
    const { hsm, key } = await credentialKey('EC-P256');
    const other = await hsm.generateKeyPair({ algo: 'EC-P256', label: 'other' });
    await expect(createCsr(hsm, { ...key, spki: other.spki }, { commonName: 'A' })).rejects.toMatchObject({
      code: 'SAM_SIGNATURE_VERIFY_FAILED',
    });
    hsm.corrupt = true;
    await expect(createCsr(hsm, key, { commonName: 'A' })).rejects.toMatchObject({ code: 'SAM_SIGNATURE_VERIFY_FAILED' });
  });
});
