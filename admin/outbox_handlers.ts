// `outbox:show`: the messages the development outbox holds (DATA_DIR/outbox, sam/notify/outbox_notifier.ts), so a
// developer can read the one-time password an e-mail or SMS credential was sent. Only wired when some channel
// uses the outbox; the messages are secrets, so only the admin token reads them.
import { CscError } from '../core/errors.ts';
import type { Handler } from './handlers.ts';
import { onlyKnown, optionalString } from './params.ts';

export const showOutbox: Handler = async (deps, { body }) => {
  onlyKnown(body, ['username']);
  const username = optionalString(body, 'username', 64);
  if (!deps.outbox) throw new CscError('adminRouteNotFound', { description: 'No development outbox is configured in this process (production, or no channel uses it); with SERVICES=api the SAM process keeps it, under its DATA_DIR/outbox' });
  const messages = await deps.outbox({ username });
  // The access log records who looked, never the messages: they hold live codes.
  return { status: 200, body: { messages }, audit: { username, count: messages.length } };
};
