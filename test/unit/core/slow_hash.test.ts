import { describe, expect, it } from 'vitest';
import { hashSecret, verifySecret } from '../../../core/slow_hash.ts';

describe('slow hash', () => {
  it('verifies the right secret and refuses another', async () => {
    const stored = await hashSecret('123456');
    expect(stored.startsWith('scrypt$32768$8$1$')).toBe(true);
    expect(stored).not.toContain('123456');
    expect(await verifySecret('123456', stored)).toBe(true);
    expect(await verifySecret('123457', stored)).toBe(false);
  });

  it('salts: the same secret hashes differently', async () => {
    expect(await hashSecret('pw')).not.toBe(await hashSecret('pw'));
  });

  it('answers false for a malformed record', async () => {
    expect(await verifySecret('x', 'plain')).toBe(false);
    expect(await verifySecret('x', 'scrypt$1$2')).toBe(false);
  });
});
