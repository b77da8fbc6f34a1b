// Admin routes of the audit trail (issue #4 item 5): export as JSON Lines, and the service's own verdict on it.
// The CLI's audit:verify does not take the server's word: it fetches the export and verifies it locally with the
// same pure code (core/audit_chain.ts).
import { AuditExportVerifier } from '../core/audit_chain.ts';
import type { AuditFilter } from '../core/audit_port.ts';
import { CscError } from '../core/errors.ts';
import type { AdminDeps, Handler } from './handlers.ts';
import { onlyKnown, optionalString, type Body } from './params.ts';

function time(body: Body, name: string): Date | undefined {
  const v = optionalString(body, name, 64);
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new CscError('invalidRequest', { description: `Invalid parameter ${name}: an ISO 8601 date or time` });
  return d;
}

async function filterOf(deps: AdminDeps, body: Body): Promise<{ filter: AuditFilter; audit: Record<string, unknown> }> {
  onlyKnown(body, ['username', 'credentialID', 'from', 'to']);
  const username = optionalString(body, 'username', 64);
  const credentialID = optionalString(body, 'credentialID', 255);
  const from = time(body, 'from');
  const to = time(body, 'to');
  const filter: AuditFilter = { credentialID, from, to };
  if (username !== undefined) {
    const user = await deps.users.byUsername(username);
    if (!user) throw new CscError('userNotFound');
    filter.userId = user.id;
  }
  return { filter, audit: { username, credentialID, from: from?.toISOString(), to: to?.toISOString() } };
}

function trail(deps: AdminDeps) {
  return deps.audit;
}

/** JSON Lines, streamed (admin/http.ts writes an async iterable body as application/x-ndjson): the trail is read
 *  page by page and never held whole in the service's memory. */
export const exportAudit: Handler = async (deps, { body }) => {
  const { filter, audit } = await filterOf(deps, body);
  const lines = trail(deps).export(filter);
  async function* text() {
    for await (const l of lines) yield JSON.stringify(l) + '\n';
  }
  return { status: 200, body: text(), audit };
};

export const verifyAudit: Handler = async (deps, { body }) => {
  const { filter, audit } = await filterOf(deps, body);
  const verifier = new AuditExportVerifier();
  for await (const l of trail(deps).export(filter)) verifier.push(l);
  const verdict = verifier.finish();
  return { status: 200, body: verdict, audit: { ...audit, intact: verdict.intact } };
};
