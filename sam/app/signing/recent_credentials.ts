// The last credential rows this SAM read with a valid seal, for signHash's one-statement path (sam/app/sign_hash.ts,
// docs/performance.md): with the row seen moments ago (by the activation, or a previous signHash), every check of a
// first use of a SAD can be run before the database is asked, and the read and the consumption become one
// statement. Nothing here is trusted on its own: the statement consumes only if the row still carries the same seal
// and no lock, and the checks run again on the row it returns. Bounded: the oldest entry goes first.
import type { CredentialRecord } from '../../store/credentials.ts';

export type RecentCredential = { record: CredentialRecord; seal: Buffer };

const MAX_ENTRIES = 10_000;

export class RecentCredentials {
  private readonly rows = new Map<string, RecentCredential>();

  get(credentialId: string): RecentCredential | undefined {
    return this.rows.get(credentialId);
  }

  /** A row whose seal was just checked; a row without one is never kept (it cannot be matched by its seal). */
  remember(record: CredentialRecord, seal: Buffer | null): void {
    if (!seal) return;
    this.rows.delete(record.credentialId);
    if (this.rows.size >= MAX_ENTRIES) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(record.credentialId, { record, seal });
  }
}
