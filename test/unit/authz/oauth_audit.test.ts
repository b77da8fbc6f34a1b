// OAuth token events into the audit trail (authz/oauth_audit.ts), driven by a stand-in for oidc-provider's event
// emitter: the entries recorded, and that a failing audit write is logged rather than thrown into the provider.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { SecurityEntry } from '../../../core/audit_port.ts';
import { auditOAuthEvents } from '../../../authz/oauth_audit.ts';
import { captureLogger } from '../../capture_logger.ts';

function setup(fail = false) {
  const provider = new EventEmitter();
  const entries: SecurityEntry[] = [];
  const { log, lines } = captureLogger();
  const record = async (e: SecurityEntry) => {
    if (fail) throw new Error('db down');
    entries.push(e);
  };
  auditOAuthEvents(provider, { record }, log);
  return { provider, entries, lines };
}

const ctx = (grantType: string) => ({
  ip: '198.51.100.7',
  get: (h: string) => ({ 'X-Request-Id': 'req-42', 'User-Agent': 'app/1.0' })[h] ?? '',
  oidc: {
    params: { grant_type: grantType },
    client: { clientId: 'sig-app' },
    entities: { AccessToken: { accountId: 'user-1', clientId: 'sig-app', grantId: 'g-1' }, RefreshToken: { accountId: 'user-1', clientId: 'sig-app', grantId: 'g-1' } },
  },
});

describe('OAuth token events in the audit trail', () => {
  it('records token issue and refresh with who, which client, from where, and no token value', () => {
    const { provider, entries } = setup();
    provider.emit('grant.success', ctx('authorization_code'));
    provider.emit('grant.success', ctx('refresh_token'));
    expect(entries).toEqual([
      {
        event: 'token.issue',
        result: 'ok',
        ctx: { requestId: 'req-42', sourceIp: '198.51.100.7', userAgent: 'app/1.0' },
        userId: 'user-1',
        clientId: 'sig-app',
        detail: { via: 'oauth', grantType: 'authorization_code', grantId: 'g-1', refresh: true },
      },
      expect.objectContaining({ event: 'token.refresh', result: 'ok', userId: 'user-1' }),
    ]);
  });

  it('records refused token requests and revocations', () => {
    const { provider, entries } = setup();
    provider.emit('grant.error', ctx('refresh_token'), { error: 'invalid_grant' });
    provider.emit('grant.revoked', ctx('authorization_code'), 'g-9');
    provider.emit('refresh_token.destroyed', { accountId: 'user-1', clientId: 'sig-app', grantId: 'g-1' });
    expect(entries.map((e) => [e.event, e.result, e.errorCode])).toEqual([
      ['token.refresh', 'refused', 'invalid_grant'],
      ['token.revoke', 'ok', undefined],
      ['token.revoke', 'ok', undefined],
    ]);
    expect(entries[1]!.detail).toEqual({ via: 'oauth', grantId: 'g-9' });
    expect(entries[2]).toMatchObject({ userId: 'user-1', clientId: 'sig-app', detail: { kind: 'refresh_token' } });
  });

  it('logs a failed audit write instead of throwing into the provider', async () => {
    const { provider, lines } = setup(true);
    provider.emit('grant.success', ctx('authorization_code'));
    await new Promise((r) => setTimeout(r, 10));
    expect(lines.join('')).toContain('audit row of an OAuth event not written');
  });
});
