// The batch rule of SCAL 1 e-seals (sam/app/seal_batch.ts) and the owner kinds it rests on (core/owner.ts).
import { describe, expect, it } from 'vitest';
import { isOrganisationOwner, organisationClientId, organisationOwnerId, ownerKind } from '../../../core/owner.ts';
import { SamError } from '../../../core/sam_port.ts';
import { isSealBatch, sadLifetimeFor } from '../../../sam/app/seal_batch.ts';

const config = { sadLifetimeSeconds: 300, sealBatch: { maxSignatures: 50, seconds: 1800 } };
const org = organisationOwnerId('4b3f0c57-1c2e-4f5e-9a43-2f8f3b1f2a10');
const person = 'b1f7e0a2-8a1d-4d33-9a1e-7f1c0d4e5a66';
const hashes = [new Uint8Array(32)];

describe('owner kinds', () => {
  it('an organisation id is org:<client id> and never looks like a user id (a UUID)', () => {
    expect(org).toBe('org:4b3f0c57-1c2e-4f5e-9a43-2f8f3b1f2a10');
    expect([ownerKind(org), ownerKind(person)]).toEqual(['organisation', 'person']);
    expect(organisationClientId(org)).toBe('4b3f0c57-1c2e-4f5e-9a43-2f8f3b1f2a10');
    expect(organisationClientId(person)).toBeNull();
    expect(isOrganisationOwner(person)).toBe(false);
    expect(() => organisationOwnerId('')).toThrow(TypeError);
  });
});

describe('sadLifetimeFor', () => {
  it("gives a count-only activation of an organisation's SCAL 1 credential the batch window", () => {
    expect(isSealBatch({ ownerId: org, scal: '1' }, null)).toBe(true);
    expect(sadLifetimeFor(config, { ownerId: org, scal: '1' }, 50, null)).toBe(1800);
  });

  it('refuses a batch above SEAL_BATCH_MAX_SIGNATURES with its own message', () => {
    let caught: unknown;
    try {
      sadLifetimeFor(config, { ownerId: org, scal: '1' }, 51, null);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SamError);
    expect((caught as SamError).code).toBe('SAM_TOO_MANY_SIGNATURES');
    expect((caught as SamError).message).toMatch(/51 signatures, a seal batch allows at most 50/);
  });

  it("keeps the ordinary SAD lifetime for a person's credential, a SCAL 2 seal and a seal that binds hashes", () => {
    expect(sadLifetimeFor(config, { ownerId: person, scal: '1' }, 51, null)).toBe(300);
    expect(sadLifetimeFor(config, { ownerId: org, scal: '2' }, 1, hashes)).toBe(300);
    expect(sadLifetimeFor(config, { ownerId: org, scal: '1' }, 1, hashes)).toBe(300);
  });
});
