// PostgreSQL store of credential records (schema rssp, migrations/001_credentials.sql).
import type { Db } from '../../core/db.ts';
import type { KeyAlgo } from '../../core/sam_port.ts';
import type { AuthMode, CredentialRecord, CredentialRepo, NewCredentialRecord, Scal } from '../app/credential.ts';

type Row = {
  credential_id: string;
  owner_id: string;
  description: string | null;
  scal: Scal;
  auth_mode: AuthMode;
  multisign: number;
  key_algo: KeyAlgo;
  certificates: Buffer[];
  one_time: boolean;
  created_at: Date;
};

const COLUMNS = 'credential_id, owner_id, description, scal, auth_mode, multisign, key_algo, certificates, one_time, created_at';

function toRecord(r: Row): CredentialRecord {
  return {
    credentialID: r.credential_id,
    ownerId: r.owner_id,
    description: r.description,
    scal: r.scal,
    authMode: r.auth_mode,
    multisign: r.multisign,
    keyAlgo: r.key_algo,
    certificates: r.certificates.map((c) => new Uint8Array(c)),
    oneTime: r.one_time,
    createdAt: r.created_at,
  };
}

const toBuffers = (certs: Uint8Array[]) => certs.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength));

export class PgCredentialRepo implements CredentialRepo {
  constructor(private readonly db: Db) {}

  async insert(rec: NewCredentialRecord): Promise<CredentialRecord> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO rssp.credentials (credential_id, owner_id, description, scal, auth_mode, multisign, key_algo, certificates, one_time)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [rec.credentialID, rec.ownerId, rec.description, rec.scal, rec.authMode, rec.multisign, rec.keyAlgo, toBuffers(rec.certificates), rec.oneTime === true],
    );
    return toRecord(rows[0]!);
  }

  async get(credentialID: string): Promise<CredentialRecord | null> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM rssp.credentials WHERE credential_id = $1 AND deleted_at IS NULL`, [credentialID]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async listByOwner(ownerId: string): Promise<CredentialRecord[]> {
    // Oldest first so that a client picking "the first credential" keeps picking the same one.
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM rssp.credentials WHERE owner_id = $1 AND deleted_at IS NULL ORDER BY created_at, credential_id`,
      [ownerId],
    );
    return rows.map(toRecord);
  }

  async markDeleted(credentialID: string): Promise<boolean> {
    const res = await this.db.query('UPDATE rssp.credentials SET deleted_at = now() WHERE credential_id = $1 AND deleted_at IS NULL', [credentialID]);
    return res.rowCount === 1;
  }

  async replaceCertificates(credentialID: string, certificates: Uint8Array[]): Promise<boolean> {
    const res = await this.db.query('UPDATE rssp.credentials SET certificates = $2 WHERE credential_id = $1 AND deleted_at IS NULL', [
      credentialID,
      toBuffers(certificates),
    ]);
    return res.rowCount === 1;
  }
}
