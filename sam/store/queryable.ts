// Ledger functions take either the pool or a transaction's client, so that a use case can put several writes
// (SAD consumption and its audit row) in one transaction while simple reads go through the pool.
import type { Db, DbClient } from '../../core/db.ts';

export type Queryable = Db | DbClient;
