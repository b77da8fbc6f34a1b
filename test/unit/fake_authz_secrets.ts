// The SAM port's sealing of the authorization server's secrets for fakes of the SAM: AES-256-GCM with a key in
// memory and the row (kid, use) as associated data, so that a fake refuses a moved or changed blob as the SAM does.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SamError, type SignatureActivation } from '../../core/sam_port.ts';

export function fakeAuthzSecrets(scope = 'fake-sam'): Pick<SignatureActivation, 'sealAuthzSecret' | 'openAuthzSecret'> {
  const key = randomBytes(32);
  let first = true;
  const aad = (kid: string, use: string) => Buffer.from(JSON.stringify([kid, use]), 'utf8');
  return {
    async sealAuthzSecret({ kid, use, plaintext }) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(kid, use));
      const body = Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
      const keyCreated = first;
      first = false;
      return { sealed: `v1.${body.toString('base64url')}`, scope, keyCreated };
    },
    async openAuthzSecret({ kid, use, sealed }) {
      const body = Buffer.from(sealed.replace(/^v1\./, ''), 'base64url');
      try {
        const d = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12)).setAAD(aad(kid, use));
        d.setAuthTag(body.subarray(body.length - 16));
        return { plaintext: new Uint8Array(Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()])) };
      } catch {
        throw new SamError('SAM_AUTHZ_SECRET_INVALID', 'fake: does not open');
      }
    },
  };
}
