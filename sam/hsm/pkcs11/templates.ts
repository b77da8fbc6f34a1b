// Attribute templates of the objects we create. The private key can sign and nothing else, and can never leave the
// token: CKA_SENSITIVE and not CKA_EXTRACTABLE (DESIGN §2.5; EN 419241-1 sole control needs the key to be usable
// only inside the HSM). PKCS#11 v2.40 Base §4.9 makes both one-way: once set they cannot be relaxed.
import type { Template } from 'pkcs11js';
import type { KeyAlgo } from '../../../core/sam_port.ts';
import { pkcs11js as P } from './module.ts';
import { CURVES } from './ec_curves.ts';

const RSA_F4 = Buffer.from([0x01, 0x00, 0x01]); // 65537

export type KeyPairTemplates = { mechanism: number; publicKey: Template; privateKey: Template };

export function keyPairTemplates(algo: KeyAlgo, id: Buffer, label: string): KeyPairTemplates {
  const common = [
    { type: P.CKA_TOKEN, value: true },
    { type: P.CKA_ID, value: id },
    { type: P.CKA_LABEL, value: label },
  ];
  const publicKey: Template = [
    ...common,
    { type: P.CKA_CLASS, value: P.CKO_PUBLIC_KEY },
    { type: P.CKA_PRIVATE, value: false },
    { type: P.CKA_VERIFY, value: true },
    { type: P.CKA_ENCRYPT, value: false },
    { type: P.CKA_WRAP, value: false },
  ];
  const privateKey: Template = [
    ...common,
    { type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY },
    { type: P.CKA_PRIVATE, value: true },
    { type: P.CKA_SENSITIVE, value: true },
    { type: P.CKA_EXTRACTABLE, value: false },
    { type: P.CKA_SIGN, value: true },
    { type: P.CKA_DECRYPT, value: false },
    { type: P.CKA_UNWRAP, value: false },
    { type: P.CKA_DERIVE, value: false },
  ];
  switch (algo) {
    case 'EC-P256':
    case 'EC-P384': {
      const curve = algo === 'EC-P256' ? 'P-256' : 'P-384';
      publicKey.push({ type: P.CKA_KEY_TYPE, value: P.CKK_EC }, { type: P.CKA_EC_PARAMS, value: CURVES[curve].params });
      privateKey.push({ type: P.CKA_KEY_TYPE, value: P.CKK_EC });
      return { mechanism: P.CKM_EC_KEY_PAIR_GEN, publicKey, privateKey };
    }
    case 'RSA-2048':
    case 'RSA-3072': {
      const bits = algo === 'RSA-2048' ? 2048 : 3072;
      publicKey.push(
        { type: P.CKA_KEY_TYPE, value: P.CKK_RSA },
        { type: P.CKA_MODULUS_BITS, value: bits },
        { type: P.CKA_PUBLIC_EXPONENT, value: RSA_F4 },
      );
      privateKey.push({ type: P.CKA_KEY_TYPE, value: P.CKK_RSA });
      return { mechanism: P.CKM_RSA_PKCS_KEY_PAIR_GEN, publicKey, privateKey };
    }
  }
}

/** AES-256 that encrypts and decrypts inside the token only (OTP seeds at rest, DESIGN §2.1; the authorization
 *  server's keys, issue #14 finding 7). */
export function secretKeyTemplate(id: Buffer, label: string): Template {
  return [
    { type: P.CKA_CLASS, value: P.CKO_SECRET_KEY },
    { type: P.CKA_KEY_TYPE, value: P.CKK_AES },
    { type: P.CKA_VALUE_LEN, value: 32 },
    { type: P.CKA_TOKEN, value: true },
    { type: P.CKA_PRIVATE, value: true },
    { type: P.CKA_SENSITIVE, value: true },
    { type: P.CKA_EXTRACTABLE, value: false },
    { type: P.CKA_ENCRYPT, value: true },
    { type: P.CKA_DECRYPT, value: true },
    { type: P.CKA_WRAP, value: false },
    { type: P.CKA_UNWRAP, value: false },
    { type: P.CKA_SIGN, value: false },
    { type: P.CKA_VERIFY, value: false },
    { type: P.CKA_DERIVE, value: false },
    { type: P.CKA_ID, value: id },
    { type: P.CKA_LABEL, value: label },
  ];
}
