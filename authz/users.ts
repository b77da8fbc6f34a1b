// The service's users: who may log in (CSC v2 §11.2) and who owns credentials. Implements the UserDirectory port
// that rssp reads, plus creation (admin API) and the password check (auth/login). Passwords are kept only as
// slow hashes (core/slow_hash.ts).
import { randomUUID } from 'node:crypto';
import type { Db } from '../core/db.ts';
import { CscError } from '../core/errors.ts';
import type { User, UserDirectory } from '../core/ports.ts';
import { dummyHash, hashSecret, verifySecret } from '../core/slow_hash.ts';

const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{3,64}$/;
const PASSWORD_MIN = 8;
/** Upper bound so that a request cannot make scrypt chew on megabytes. */
const PASSWORD_MAX = 1024;

export type NewUser = { username: string; password: string; name?: string; email?: string; phone?: string };

type Row = { id: string; username: string; name: string | null; email: string | null; phone: string | null };

const COLUMNS = 'id, username, name, email, phone';
const toUser = (r: Row): User => ({ id: r.id, username: r.username, name: r.name, email: r.email, phone: r.phone });

function optional(value: unknown, field: string, pattern: RegExp, rule: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new CscError('invalidRequest', { description: `Invalid parameter ${field}: ${rule}` });
  }
  return value;
}

export class UserStore implements UserDirectory {
  constructor(private readonly db: Db) {}

  /** Validates, hashes the password and stores the user. Refuses a username that differs from an existing one only
   *  by case (the unique index on lower(username)). */
  async create(input: NewUser): Promise<{ userId: string }> {
    if (typeof input.username !== 'string' || !USERNAME_PATTERN.test(input.username)) throw new CscError('invalidUsername');
    if (typeof input.password !== 'string' || input.password.length < PASSWORD_MIN || input.password.length > PASSWORD_MAX) {
      throw new CscError('invalidPassword');
    }
    // Names are free text but bounded; control characters would end up in certificate subjects and log lines.
    const name = optional(input.name, 'name', /^[^\p{Cc}]{1,200}$/u, '1 to 200 printable characters');
    const email = optional(input.email, 'email', /^[^\s@]{1,64}@[^\s@]{1,189}$/, 'an e-mail address');
    const phone = optional(input.phone, 'phone', /^\+?[0-9][0-9 ()-]{2,31}$/, 'a telephone number');

    const id = randomUUID();
    const passwordHash = await hashSecret(input.password);
    try {
      await this.db.query(
        'INSERT INTO authz.users (id, username, password_hash, name, email, phone) VALUES ($1, $2, $3, $4, $5, $6)',
        [id, input.username, passwordHash, name, email, phone],
      );
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new CscError('usernameTaken');
      throw err;
    }
    return { userId: id };
  }

  async byId(id: string): Promise<User | null> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM authz.users WHERE id = $1`, [id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** Case-insensitive, like the uniqueness rule. */
  async byUsername(username: string): Promise<User | null> {
    if (!USERNAME_PATTERN.test(username)) return null;
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM authz.users WHERE lower(username) = lower($1)`, [username]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** The user when the password is right, else null. Always runs exactly one scrypt, against a dummy hash when
   *  the user does not exist, so that response time does not tell whether a username exists. */
  async authenticate(username: string, password: string): Promise<User | null> {
    const { rows } = USERNAME_PATTERN.test(username)
      ? await this.db.query<Row & { password_hash: string }>(
          `SELECT ${COLUMNS}, password_hash FROM authz.users WHERE lower(username) = lower($1)`,
          [username],
        )
      : { rows: [] };
    const row = rows[0];
    const candidate = password.length <= PASSWORD_MAX ? password : '';
    const ok = await verifySecret(candidate, row?.password_hash ?? (await dummyHash()));
    return row && ok && password.length <= PASSWORD_MAX ? toUser(row) : null;
  }
}
