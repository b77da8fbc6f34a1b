// The SADs a revoked token led to (issue #14 finding 7): when a signature application's session ends — auth/revoke,
// or the OAuth revocation endpoint — every unexpired SAD minted for that user through that client is revoked with it,
// so that a SAD taken from a session the person ended cannot still sign. Pending asynchronous approvals are left
// alone: their SAD is minted only when the person approves on the page.
import type { RequestContext } from '../../core/sam_port.ts';
import { writeAudit } from '../audit/audit_log.ts';
import { revokeSadsOf } from '../store/sads.ts';
import type { SamDeps } from './deps.ts';

export async function revokeSads(deps: SamDeps, cmd: { ctx: RequestContext; userId: string; clientId: string }): Promise<{ revoked: number }> {
  const now = deps.now();
  const revoked = await revokeSadsOf(deps.db, cmd.userId, cmd.clientId, now);
  await writeAudit(
    deps.db,
    { event: 'token.revoke', ctx: cmd.ctx, userId: cmd.userId, clientId: cmd.clientId, detail: { sadsRevoked: revoked } },
    'ok',
  );
  if (revoked > 0) deps.log.info({ event: 'sam.sads.revoked', userId: cmd.userId, clientId: cmd.clientId, revoked }, 'SADs revoked with their session');
  return { revoked };
}
