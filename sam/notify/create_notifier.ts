// The notifier of the configuration: SMTP when SMTP_HOST is set, the SMS gateway when SMS_GATEWAY_URL is set, and
// the development outbox (DATA_DIR/outbox) for a channel that has neither. The outbox keeps codes on the server's
// disk, which is fine for development and useless in production: said loudly at start-up.
import type { Config } from '../../core/config.ts';
import type { Logger } from '../../core/log.ts';
import { byChannel, type Notifier } from './notifier.ts';
import { outboxDir, outboxNotifier } from './outbox_notifier.ts';
import { smsGatewayNotifier } from './sms_gateway_notifier.ts';
import { smtpNotifier } from './smtp_notifier.ts';

export function createNotifier(notify: Config['sam']['notify'], where: { dataDir: string; production: boolean }, log: Logger): Notifier {
  const outbox = outboxNotifier(outboxDir(where.dataDir));
  const fallback: string[] = [];
  if (!notify.smtp) fallback.push('e-mail (SMTP_HOST unset)');
  if (!notify.sms) fallback.push('SMS (SMS_GATEWAY_URL unset)');
  if (fallback.length) {
    const level = where.production ? 'error' : 'warn';
    log[level]({ outbox: outboxDir(where.dataDir), channels: fallback }, 'one-time passwords go to the development outbox, not to people');
  }
  return byChannel({
    email: notify.smtp ? smtpNotifier(notify.smtp) : outbox,
    sms: notify.sms ? smsGatewayNotifier(notify.sms) : outbox,
  });
}
