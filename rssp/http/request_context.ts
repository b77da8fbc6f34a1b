// Every CSC call gets a request id (the caller's X-Request-Id when it is a sane token, so that a signature
// application can correlate its logs with ours; otherwise a random one) and the RequestContext the SAM writes
// into its audit rows.
import { requestContextOf } from '../../core/request_context.ts';
import type { CscContext } from './step.ts';

export function assignRequestContext(ctx: CscContext): void {
  ctx.state.request = requestContextOf(ctx);
  ctx.set('X-Request-Id', ctx.state.request.requestId);
  ctx.state.body = {};
}
