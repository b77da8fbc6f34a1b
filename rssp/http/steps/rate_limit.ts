// Throttling steps (issue #4 item 4, core/policy.ts): early in a method's list, so that a throttled request costs
// no body parsing, no database and no SAM call. The limiter is a required dependency (issue #15 item 2): a
// composition that forgets it does not compile.
import type { Step } from '../step.ts';

/** auth/login: per source IP (there is no client before a login). Fails open when the store is down. */
export const limitLogin: Step = async (ctx, deps) => {
  const ip = ctx.state.request.sourceIp;
  if (ip) await deps.limits.limiter.hit(deps.limits.policy.loginPerIp, ip);
};

/** credentials/authorize, after requireBearer: per client and per source IP. Protects factors: fails closed. */
export const limitAuthorize: Step = async (ctx, deps) => {
  const { limiter, policy } = deps.limits;
  const ip = ctx.state.request.sourceIp;
  if (ip) await limiter.hit(policy.authorizePerIp, ip);
  if (ctx.state.grant) await limiter.hit(policy.authorizePerClient, ctx.state.grant.clientId);
};

/** signatures/signHash, after requireBearer: per client. Sheds load: fails open. */
export const limitSign: Step = async (ctx, deps) => {
  if (ctx.state.grant) await deps.limits.limiter.hit(deps.limits.policy.signPerClient, ctx.state.grant.clientId);
};

/** signatures/signPolling, after requireBearer: per client. Sheds load: fails open. */
export const limitPoll: Step = async (ctx, deps) => {
  if (ctx.state.grant) await deps.limits.limiter.hit(deps.limits.policy.pollPerClient, ctx.state.grant.clientId);
};
