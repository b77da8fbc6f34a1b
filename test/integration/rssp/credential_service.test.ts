// CredentialService: creation through the SAM and the PostgreSQL record, chain import, CSR.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CscError } from '../../../core/errors.ts';
import type { UserDirectory } from '../../../core/ports.ts';
import type { SignatureActivation } from '../../../core/sam_port.ts';
import type { CredentialRecord, CredentialRepo } from '../../../rssp/app/credential.ts';
import { CredentialService } from '../../../rssp/app/credential_service.ts';
import { keyAlgoFor, newCredentialID } from '../../../rssp/app/key_algo.ts';
import { makeChain, samError, startApp, type TestApp } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

const ctx = { requestId: 'req-admin-1' };

async function refusedWith(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CscError) return err.code;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('keyAlgoFor', () => {
  it.each([
    ['ES256', undefined, 'EC-P256', false],
    ['ES384', undefined, 'EC-P384', false],
    ['RS256', undefined, 'RSA-2048', false],
    ['RS384', 3072, 'RSA-3072', false],
    ['PS256', undefined, 'RSA-2048', true],
    ['PS256', 3072, 'RSA-3072', true],
  ] as const)('%s (%s bits) → %s, pssOnly %s', (algo, bits, keyAlgo, pssOnly) => {
    expect(keyAlgoFor(algo, bits)).toEqual({ keyAlgo, pssOnly });
  });
});

describe('newCredentialID', () => {
  it('is URL-safe, unique, and never looks like a command-line option', () => {
    const ids = new Set(Array.from({ length: 1000 }, newCredentialID));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('CredentialService.create', () => {
  it('has the SAM create the key and certificate for the user, then stores the record with the SAM\'s chain', async () => {
    const user = app.users.add({ username: 'alice', name: 'Alice Example', email: 'alice@example.org' });
    const chain = makeChain('Alice Example', new Date(Date.now() - 1000), new Date(Date.now() + 86400_000));
    app.sam.created = { certificates: [chain.leaf, chain.root] };
    const { credentialID } = await app.credentials.create(ctx, { ownerId: user.id, algo: 'PS256', rsaBits: 3072, pin: '4321', multisign: 4, description: 'Seal' });
    expect(app.sam.callsOf('createCredential').at(-1)).toEqual({
      ctx,
      credentialID,
      ownerId: user.id,
      algo: 'RSA-3072',
      pssOnly: true,
      pin: '4321',
      subject: { commonName: 'Alice Example', email: 'alice@example.org' },
      scal: '2',
      multisign: 4,
    });
    const record = await app.credentials.get(credentialID);
    expect(record).toMatchObject({
      credentialID,
      ownerId: user.id,
      description: 'Seal',
      scal: '2',
      authMode: 'explicit',
      multisign: 4,
      keyAlgo: 'RSA-3072',
      certificates: [chain.leaf, chain.root],
    });
    expect(record!.createdAt).toBeInstanceOf(Date);
  });

  it('defaults: multisign 1, SCAL 2, explicit, no description; commonName falls back to the username', async () => {
    const user = app.users.add({ username: 'bob-the-signer' });
    const { credentialID } = await app.credentials.create(ctx, { ownerId: user.id, algo: 'ES256', pin: '1234' });
    expect(app.sam.callsOf('createCredential').at(-1)).toMatchObject({ algo: 'EC-P256', pssOnly: false, subject: { commonName: 'bob-the-signer' } });
    expect(app.sam.callsOf('createCredential').at(-1)!.subject).toEqual({ commonName: 'bob-the-signer' });
    expect(await app.credentials.get(credentialID)).toMatchObject({ multisign: 1, scal: '2', authMode: 'explicit', description: null });
  });

  it('keeps scal and authMode when given', async () => {
    const user = app.users.add();
    const { credentialID } = await app.credentials.create(ctx, { ownerId: user.id, algo: 'ES384', pin: '1', scal: '1', authMode: 'oauth2code' });
    expect(await app.credentials.get(credentialID)).toMatchObject({ scal: '1', authMode: 'oauth2code', keyAlgo: 'EC-P384' });
  });

  it('refuses an unknown owner, a bad multisign, rsaBits on EC, a long description — before the SAM', async () => {
    const user = app.users.add();
    const before = app.sam.callsOf('createCredential').length;
    expect(await refusedWith(app.credentials.create(ctx, { ownerId: 'nobody', algo: 'ES256', pin: '1' }))).toBe('userNotFound');
    expect(await refusedWith(app.credentials.create(ctx, { ownerId: user.id, algo: 'ES256', pin: '1', multisign: 0 }))).toBe('invalidRequest');
    expect(await refusedWith(app.credentials.create(ctx, { ownerId: user.id, algo: 'ES256', pin: '1', multisign: 1.5 }))).toBe('invalidRequest');
    expect(await refusedWith(app.credentials.create(ctx, { ownerId: user.id, algo: 'ES256', pin: '1', rsaBits: 3072 }))).toBe('invalidRequest');
    expect(await refusedWith(app.credentials.create(ctx, { ownerId: user.id, algo: 'ES256', pin: '1', description: 'd'.repeat(256) }))).toBe('invalidRequest');
    expect(app.sam.callsOf('createCredential').length).toBe(before);
  });

  it('stores nothing when the SAM refuses', async () => {
    const user = app.users.add();
    app.sam.fail.createCredential = samError('SAM_HSM_UNAVAILABLE');
    try {
      await expect(app.credentials.create(ctx, { ownerId: user.id, algo: 'ES256', pin: '1' })).rejects.toMatchObject({ code: 'SAM_HSM_UNAVAILABLE' });
    } finally {
      delete app.sam.fail.createCredential;
    }
    expect(await app.credentials.listByOwner(user.id)).toEqual([]);
  });
});

describe('listByOwner, importChain, csr', () => {
  it('lists a user\'s credentials oldest first', async () => {
    const user = app.users.add();
    const a = await app.credentials.create(ctx, { ownerId: user.id, algo: 'ES256', pin: '1' });
    const b = await app.credentials.create(ctx, { ownerId: user.id, algo: 'ES256', pin: '1' });
    expect((await app.credentials.listByOwner(user.id)).map((r) => r.credentialID)).toEqual([a.credentialID, b.credentialID]);
  });

  it('replaces the chain once the SAM accepts it, and keeps the old one when it refuses', async () => {
    const user = app.users.add();
    const { credentialID } = await app.credentials.create(ctx, { ownerId: user.id, algo: 'ES256', pin: '1' });
    const original = (await app.credentials.get(credentialID))!.certificates;
    const chain = makeChain('External', new Date(Date.now() - 1000), new Date(Date.now() + 86400_000));

    app.sam.fail.installCertificates = samError('SAM_CERT_MISMATCH');
    try {
      await expect(app.credentials.importChain(ctx, credentialID, [chain.leaf, chain.root])).rejects.toMatchObject({ code: 'SAM_CERT_MISMATCH' });
    } finally {
      delete app.sam.fail.installCertificates;
    }
    expect((await app.credentials.get(credentialID))!.certificates).toEqual(original);

    await app.credentials.importChain(ctx, credentialID, [chain.leaf, chain.root]);
    expect(app.sam.callsOf('installCertificates').at(-1)).toEqual({ ctx, credentialID, certificates: [chain.leaf, chain.root] });
    expect((await app.credentials.get(credentialID))!.certificates).toEqual([chain.leaf, chain.root]);
  });

  it('refuses an empty chain and an unknown credential', async () => {
    expect(await refusedWith(app.credentials.importChain(ctx, 'nope', []))).toBe('invalidCertificates');
    expect(await refusedWith(app.credentials.importChain(ctx, 'nope', [new Uint8Array([1])]))).toBe('credentialNotFound');
    expect(await refusedWith(app.credentials.csr(ctx, 'nope'))).toBe('credentialNotFound');
  });

  it('asks the SAM for a CSR with the owner as subject', async () => {
    const user = app.users.add({ username: 'carol', name: 'Carol C', email: 'carol@example.org' });
    const { credentialID } = await app.credentials.create(ctx, { ownerId: user.id, algo: 'ES256', pin: '1' });
    const { csr } = await app.credentials.csr(ctx, credentialID);
    expect(csr).toEqual(new Uint8Array([0x30, 0x01, 0x00]));
    expect(app.sam.callsOf('createCsr').at(-1)).toEqual({ ctx, credentialID, subject: { commonName: 'Carol C', email: 'carol@example.org' } });
  });
});

describe('ownerOf', () => {
  it('reads an owner once and answers from memory after; an unknown id is looked up again every time', async () => {
    const reads: string[] = [];
    const owners: Record<string, string> = { c1: 'alice' };
    const repo = {
      get: async (id: string) => {
        reads.push(id);
        return owners[id] ? ({ credentialID: id, ownerId: owners[id] } as CredentialRecord) : null;
      },
    } as unknown as CredentialRepo;
    const service = new CredentialService({ repo, sam: {} as SignatureActivation, users: {} as UserDirectory });
    expect(await service.ownerOf('c1')).toBe('alice');
    expect(await service.ownerOf('c1')).toBe('alice');
    expect(await service.ownerOf('c2')).toBeNull();
    owners.c2 = 'bob'; // created since
    expect(await service.ownerOf('c2')).toBe('bob');
    expect(reads).toEqual(['c1', 'c2', 'c2']);
  });
});

describe('approvalOf', () => {
  it('asks the SAM once per credential (the mode never changes); an id the SAM does not know is asked again', async () => {
    const asked: string[][] = [];
    const modes: Record<string, 'inline' | 'async'> = { c1: 'async', c2: 'inline' };
    const sam = {
      state: async (ids: string[]) => (asked.push(ids), ids.filter((id) => modes[id]).map((id) => ({ credentialID: id, approval: modes[id] }))),
    } as unknown as SignatureActivation;
    const service = new CredentialService({ repo: {} as CredentialRepo, sam, users: {} as UserDirectory });
    expect(await service.approvalOf('c1')).toBe('async');
    expect(await service.approvalOf('c1')).toBe('async');
    expect(await service.approvalOf('c2')).toBe('inline');
    expect(await service.approvalOf('c3')).toBeNull();
    modes.c3 = 'inline';
    expect(await service.approvalOf('c3')).toBe('inline');
    expect(asked).toEqual([['c1'], ['c2'], ['c3'], ['c3']]);
  });
});
