// An AuditTrail in memory for unit tests of one part (authz, admin, rssp): the entries recorded, in order. The
// chained trail itself is tested against PostgreSQL (test/unit/sam/audit_chain.test.ts, test/e2e/audit_trail.test.ts).
import type { AuditTrail, SecurityEntry, SignatureEvidence } from '../../core/audit_port.ts';

export type MemoryAudit = AuditTrail & { entries: SecurityEntry[]; evidenceRows: SignatureEvidence[] };

export function memoryAudit(): MemoryAudit {
  const entries: SecurityEntry[] = [];
  const evidenceRows: SignatureEvidence[] = [];
  return {
    entries,
    evidenceRows,
    async record(e) {
      entries.push(e);
    },
    async *export() {
      // No chain in memory: exports are tested where the chain lives.
    },
    async evidence(q) {
      return evidenceRows.filter((r) => r.credentialID === q.credentialID && r.userId === q.userId);
    },
  };
}
