// Token events of the OAuth server into the audit trail (issue #4 item 5): every token response (issue, or refresh
// with grant_type=refresh_token), every refused token request, and every revocation (a grant revoked, or a token
// destroyed by the revocation endpoint). oidc-provider emits these after it has answered, so a failed audit write
// cannot fail the request: it is logged as an error instead. Identifiers only: no token value is ever recorded.
import { requestContextOf } from '../core/request_context.ts';
import type { AuditTrail, SecurityEntry } from '../core/audit_port.ts';
import type { Logger } from '../core/log.ts';
import type { RequestContext } from '../core/sam_port.ts';

/** The few things read from oidc-provider's Koa context and token models; typed loosely on purpose so that this
 *  file depends on the events' documented shape, not on the library's internal types. */
type OidcCtx = {
  ip?: string;
  get?(name: string): string;
  oidc?: {
    params?: { grant_type?: unknown };
    client?: { clientId?: string };
    entities?: { AccessToken?: TokenLike; RefreshToken?: TokenLike; Client?: { clientId?: string } };
  };
};
type TokenLike = { accountId?: string; clientId?: string; grantId?: string };

// Listeners of different events take different arguments; each emitter (oidc-provider, a test's) types them its own way.
export type EventSource = { on(event: string, listener: (...args: any[]) => void): unknown };

const requestContext = (ctx: OidcCtx | undefined): RequestContext => requestContextOf(ctx);

export function auditOAuthEvents(provider: EventSource, audit: Pick<AuditTrail, 'record'>, log: Logger): void {
  const record = (entry: SecurityEntry) =>
    void audit.record(entry).catch((err: unknown) => log.error({ event: entry.event, err: (err as Error).message }, 'audit row of an OAuth event not written'));

  provider.on('grant.success', (ctx: OidcCtx) => {
    const e = ctx.oidc?.entities ?? {};
    const token = e.AccessToken ?? e.RefreshToken;
    const grantType = typeof ctx.oidc?.params?.grant_type === 'string' ? ctx.oidc.params.grant_type : undefined;
    record({
      event: grantType === 'refresh_token' ? 'token.refresh' : 'token.issue',
      result: 'ok',
      ctx: requestContext(ctx),
      userId: token?.accountId,
      clientId: token?.clientId ?? e.Client?.clientId,
      detail: { via: 'oauth', grantType, grantId: token?.grantId, refresh: e.RefreshToken !== undefined },
    });
  });

  provider.on('grant.error', (ctx: OidcCtx, err: { error?: string }) => {
    const grantType = typeof ctx.oidc?.params?.grant_type === 'string' ? ctx.oidc.params.grant_type : undefined;
    record({
      event: grantType === 'refresh_token' ? 'token.refresh' : 'token.issue',
      result: 'refused',
      errorCode: err?.error ?? 'server_error',
      ctx: requestContext(ctx),
      clientId: ctx.oidc?.client?.clientId,
      detail: { via: 'oauth', grantType },
    });
  });

  provider.on('grant.revoked', (ctx: OidcCtx, grantId: string) => {
    record({ event: 'token.revoke', result: 'ok', ctx: requestContext(ctx), clientId: ctx.oidc?.client?.clientId, detail: { via: 'oauth', grantId } });
  });

  for (const kind of ['access_token', 'refresh_token'] as const) {
    provider.on(`${kind}.destroyed`, (token: TokenLike) => {
      record({
        event: 'token.revoke',
        result: 'ok',
        ctx: requestContext(undefined),
        userId: token?.accountId,
        clientId: token?.clientId,
        detail: { via: 'oauth', kind, grantId: token?.grantId },
      });
    });
  }
}
