// The profiles' plumbing: which base URI a profile speaks to, and that each profile is a list of uniquely named checks.
import { describe, expect, it } from 'vitest';
import { baseUrlOf, PROFILE_NAMES } from '../../../conformance/options.ts';
import { PROFILES } from '../../../conformance/profiles/index.ts';
import { pick } from '../../../conformance/profiles/profile.ts';
import { infoGroup } from '../../../conformance/checks/info.ts';
import { Session } from '../../../conformance/session.ts';

describe('base URI of a run', () => {
  it('keeps the default behaviour without a profile: /csc/v2 appended unless given', () => {
    expect(baseUrlOf({ baseUrl: 'https://h.example' })).toBe('https://h.example/csc/v2');
    expect(baseUrlOf({ baseUrl: 'https://h.example/csc/v2/' })).toBe('https://h.example/csc/v2');
  });

  it("appends the profile's base unless the URL names a CSC base already", () => {
    expect(baseUrlOf({ baseUrl: 'https://h.example', profile: 'eudi-rqes' })).toBe('https://h.example/csc/v2.2');
    expect(baseUrlOf({ baseUrl: 'https://h.example/', profile: 'pyhanko-v1' })).toBe('https://h.example/csc/v1');
    expect(baseUrlOf({ baseUrl: 'https://h.example/tsp/csc/v2.2', profile: 'eudi-rqes' })).toBe('https://h.example/tsp/csc/v2.2');
    expect(baseUrlOf({ baseUrl: 'https://h.example/csc/v2', profile: 'strict' })).toBe('https://h.example/csc/v2');
  });

  it('an explicit --base-path replaces the CSC base the URL ends in', () => {
    expect(baseUrlOf({ baseUrl: 'https://h.example/csc/v2', profile: 'eudi-rqes', basePath: '/csc/v2.2' })).toBe('https://h.example/csc/v2.2');
    expect(baseUrlOf({ baseUrl: 'https://h.example/', basePath: 'api/rqes/' })).toBe('https://h.example/api/rqes');
  });
});

describe('profiles', () => {
  it.each(PROFILE_NAMES)('%s: its checks have unique ids, and its own checks are prefixed with its name', (name) => {
    const session = new Session({ baseUrl: 'http://127.0.0.1:9', profile: name });
    const ids = PROFILES[name].groups.flatMap((g) => g.checks(session).map((c) => c.id));
    expect(new Set(ids).size).toBe(ids.length);
    const prefix = { 'eudi-rqes': 'eudi.', 'documenso-v1': 'documenso.', 'pyhanko-v1': 'pyhanko.', strict: 'strict.' }[name];
    expect(ids.filter((id) => id.startsWith(prefix)).length).toBeGreaterThanOrEqual(4);
  });

  it('refuses to pick a check that does not exist, so a renamed check cannot silently drop out of a profile', () => {
    const session = new Session({ baseUrl: 'http://127.0.0.1:9' });
    expect(() => pick(infoGroup, ['info.no_such_check']).checks(session)).toThrow('conformance profile: no check info.no_such_check in group info');
  });
});
