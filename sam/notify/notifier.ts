// How the SAM reaches a person out of band (CSC v2 §8.3.1.1 "out-of-band response", §11.8): a one-time password
// or an approval link, by e-mail or SMS. Adapters (SMTP, an HTTP SMS gateway, the development outbox) sit behind
// this one interface so that the use cases never know which is wired.
//
// A message carries a secret (the code, or a link that is one). Adapters must never log `text`; callers log the
// channel and the recipient's username only.

export type Channel = 'email' | 'sms';

export type OutboundMessage = {
  channel: Channel;
  /** E-mail address or telephone number, from the user record. */
  to: string;
  /** For the outbox's `--username` filter and operator logs; not sent. */
  username: string;
  /** E-mail subject; SMS gateways ignore it. */
  subject: string;
  text: string;
};

export interface Notifier {
  /** Resolves once the message is accepted by the next hop; rejects (with no secret in the error) otherwise. */
  send(msg: OutboundMessage): Promise<void>;
}

/** Routes each message to the adapter of its channel. */
export function byChannel(adapters: Record<Channel, Notifier>): Notifier {
  return { send: (msg) => adapters[msg.channel].send(msg) };
}
