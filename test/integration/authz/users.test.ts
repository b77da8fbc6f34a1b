import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../../authz/users.ts';
import type { Db } from '../../../core/db.ts';
import { openStores, rand, refusal } from './helpers.ts';

let stores: Awaited<ReturnType<typeof openStores>>;
let db: Db;
let users: UserStore;

beforeAll(async () => {
  stores = await openStores();
  db = stores.db;
  users = new UserStore(db);
});
afterAll(() => stores.close());

describe('UserStore', () => {
  it('creates a user with a random id and keeps only a slow hash of the password', async () => {
    const username = `alice.${rand()}@example`;
    const { userId } = await users.create({ username, password: 'correct horse', name: 'Alice Example', email: 'alice@example.org', phone: '+33 1 23 45 67 89' });
    expect(userId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await users.byId(userId)).toEqual({ id: userId, username, name: 'Alice Example', email: 'alice@example.org', phone: '+33 1 23 45 67 89' });
    const { rows } = await db.query('SELECT password_hash FROM authz.users WHERE id = $1', [userId]);
    expect(rows[0].password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(rows[0].password_hash).not.toContain('correct horse');
  });

  it('finds users by username regardless of case, and by id', async () => {
    const username = `Bob_${rand()}`;
    const { userId } = await users.create({ username, password: 'password1' });
    expect((await users.byUsername(username.toLowerCase()))?.id).toBe(userId);
    expect((await users.byUsername(username.toUpperCase()))?.username).toBe(username);
    expect(await users.byUsername(`nobody_${rand()}`)).toBeNull();
    expect(await users.byUsername('x')).toBeNull();
    expect(await users.byId('00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('refuses a duplicate username, also when it differs only by case', async () => {
    const username = `carol_${rand()}`;
    await users.create({ username, password: 'password1' });
    expect(await refusal(users.create({ username, password: 'password2' }))).toMatchObject({
      code: 'usernameTaken',
      status: 409,
      body: { error: 'invalid_request', error_description: 'A user with this username already exists' },
    });
    expect((await refusal(users.create({ username: username.toUpperCase(), password: 'password2' }))).code).toBe('usernameTaken');
  });

  it.each([
    ['ab'],
    ['a'.repeat(65)],
    ['has space'],
    ['semi;colon'],
    ['émile'],
  ])('refuses the username %j', async (username) => {
    expect(await refusal(users.create({ username, password: 'password1' }))).toMatchObject({
      code: 'invalidUsername',
      body: { error: 'invalid_request', error_description: 'Invalid parameter username: 3 to 64 characters among A-Z a-z 0-9 . _ @ -' },
    });
  });

  it('refuses a password shorter than 8 or longer than 1024 characters', async () => {
    for (const password of ['1234567', 'p'.repeat(1025)]) {
      expect(await refusal(users.create({ username: `dave_${rand()}`, password }))).toMatchObject({
        code: 'invalidPassword',
        body: { error_description: 'Invalid parameter password: 8 to 1024 characters' },
      });
    }
  });

  it('refuses malformed optional fields with a message naming the field', async () => {
    const username = `erin_${rand()}`;
    expect((await refusal(users.create({ username, password: 'password1', email: 'not-an-email' }))).body.error_description).toBe(
      'Invalid parameter email: an e-mail address',
    );
    expect((await refusal(users.create({ username, password: 'password1', phone: 'call me' }))).body.error_description).toBe(
      'Invalid parameter phone: a telephone number',
    );
    expect((await refusal(users.create({ username, password: 'password1', name: 'line\nbreak' }))).body.error_description).toBe(
      'Invalid parameter name: 1 to 200 printable characters',
    );
    expect(await users.byUsername(username)).toBeNull();
  });

  it('authenticates the right password only, and spends a slow hash even for an unknown user', async () => {
    const username = `frank_${rand()}`;
    const { userId } = await users.create({ username, password: 'right password' });
    expect((await users.authenticate(username, 'right password'))?.id).toBe(userId);
    expect((await users.authenticate(username.toUpperCase(), 'right password'))?.id).toBe(userId);
    expect(await users.authenticate(username, 'wrong password')).toBeNull();

    // Without the dummy hash an unknown user would answer in about a millisecond; scrypt at N=2^15 costs tens.
    await users.authenticate(`ghost_${rand()}`, 'x'); // warms the dummy hash
    const t0 = performance.now();
    expect(await users.authenticate(`ghost_${rand()}`, 'whatever')).toBeNull();
    expect(performance.now() - t0).toBeGreaterThan(15);
  });
});
