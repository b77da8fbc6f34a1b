// The SAD's JWS check (sam/app/sad/verify.ts), against SADs made by an independent implementation (jose's
// CompactSign) with a software P-256 key: what mintSad makes passes; any other shape, header, key or encoding is
// SAM_SAD_INVALID.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import { SamError } from '../../../core/sam_port.ts';
import type { SamKeys } from '../../../sam/app/sad/sam_keys.ts';
import { verifySadToken } from '../../../sam/app/sad/verify.ts';

const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const { publicKey, privateKey } = pair();
const keys = { sadKeyId: 'k', sadPublicKey: publicKey, sadKid: 'kid-1' } as SamKeys;
const claims = { sub: 'user-1', cid: 'cred-1', azp: 'client-1', n: 1, hsh: 'abc', amr: ['pwd'], jti: 'j'.repeat(22), iat: 1_700_000_000, exp: 2_000_000_000 };
const b64u = (v: string | Buffer) => Buffer.from(v).toString('base64url');

async function jws(header: Record<string, unknown>, payload: unknown = claims, key: KeyObject = privateKey): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader(header as { alg: string }).sign(key);
}

/** A JWS signed by hand, for headers jose refuses to produce. */
function handMade(header: Record<string, unknown>, payload: unknown = claims): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${b64u(sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
}

async function refusal(sad: string): Promise<string> {
  const err = await verifySadToken(sad, keys).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(SamError);
  return `${(err as SamError).code} ${(err as SamError).detail}`;
}

describe('verifySadToken', () => {
  it('accepts an ES256 SAD of our typ, with or without kid, and returns its claims', async () => {
    expect(await verifySadToken(await jws({ alg: 'ES256', typ: 'sad+jwt', kid: 'kid-1' }), keys)).toEqual(claims);
    expect(await verifySadToken(handMade({ alg: 'ES256', typ: 'sad+jwt' }), keys)).toEqual(claims);
  });

  it('refuses a SAD signed by another key, or with its payload or signature changed', async () => {
    expect(await refusal(await jws({ alg: 'ES256', typ: 'sad+jwt' }, claims, pair().privateKey))).toBe('SAM_SAD_INVALID signature');
    const good = await jws({ alg: 'ES256', typ: 'sad+jwt' });
    const [h, , s] = good.split('.');
    expect(await refusal(`${h}.${b64u(JSON.stringify({ ...claims, n: 100 }))}.${s}`)).toBe('SAM_SAD_INVALID signature');
    const sig = Buffer.from(s!, 'base64url');
    sig[10]! ^= 1;
    expect(await refusal(`${h}.${good.split('.')[1]}.${b64u(sig)}`)).toBe('SAM_SAD_INVALID signature');
  });

  it('refuses another alg or typ, and any header member it does not know (crit, b64, jku)', async () => {
    expect(await refusal(await jws({ alg: 'ES256', typ: 'JWT' }))).toBe('SAM_SAD_INVALID signature');
    expect(await refusal(handMade({ alg: 'ES384', typ: 'sad+jwt' }))).toBe('SAM_SAD_INVALID signature');
    expect(await refusal(handMade({ alg: 'none', typ: 'sad+jwt' }))).toBe('SAM_SAD_INVALID signature');
    expect(await refusal(handMade({ alg: 'ES256', typ: 'sad+jwt', crit: ['exp'], exp: 1 }))).toBe('SAM_SAD_INVALID signature');
    expect(await refusal(handMade({ alg: 'ES256', typ: 'sad+jwt', jku: 'https://evil.example/keys' }))).toBe('SAM_SAD_INVALID signature');
    expect(await refusal(handMade(['ES256'] as unknown as Record<string, unknown>))).toBe('SAM_SAD_INVALID signature');
  });

  it('refuses what is not a compact JWS with a 64-byte signature in canonical base64url', async () => {
    const good = await jws({ alg: 'ES256', typ: 'sad+jwt' });
    const [h, p, s] = good.split('.') as [string, string, string];
    // 86 characters hold 516 bits for 512: the last one's low 4 bits are spare, so flipping one decodes the same.
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = `${s.slice(0, -1)}${ALPHABET[ALPHABET.indexOf(s.at(-1)!) ^ 1]}`;
    expect(Buffer.from(twin, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    expect(await refusal(`${h}.${p}.${twin}`)).toBe('SAM_SAD_INVALID signature');
    expect(await refusal(`${h}.${p}.${s}=`)).toBe('SAM_SAD_INVALID signature');
    expect(await refusal(`${h}.${p}`)).toBe('SAM_SAD_INVALID signature');
    expect(await refusal(`${h}.${p}.${s}.${s}`)).toBe('SAM_SAD_INVALID signature');
    expect(await refusal(`${h}.${p}.${b64u(Buffer.concat([Buffer.from(s, 'base64url'), Buffer.alloc(8)]))}`)).toBe('SAM_SAD_INVALID signature');
    expect(await refusal('')).toBe('SAM_SAD_INVALID signature');
    expect(await refusal(123 as unknown as string)).toBe('SAM_SAD_INVALID signature');
  });

  it('refuses a well-signed payload that is not JSON, or not our claims', async () => {
    const input = `${b64u(JSON.stringify({ alg: 'ES256', typ: 'sad+jwt' }))}.${b64u('not json')}`;
    const notJson = `${input}.${b64u(sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
    expect(await refusal(notJson)).toBe('SAM_SAD_INVALID payload');
    expect(await refusal(await jws({ alg: 'ES256', typ: 'sad+jwt' }, { ...claims, n: 0 }))).toBe('SAM_SAD_INVALID claims');
  });
});
