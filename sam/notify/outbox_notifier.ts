// The development notifier (the default under embedded defaults): every message becomes one JSON file under
// DATA_DIR/outbox, which `npm run admin -- outbox:show [--username U]` lists. Nothing leaves the machine, so a
// developer can sign with an e-mail or SMS credential without a mail server or gateway. Files are 0600: they
// hold live one-time passwords.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Channel, Notifier, OutboundMessage } from './notifier.ts';

export type OutboxEntry = OutboundMessage & { at: string };

export function outboxDir(dataDir: string): string {
  return path.join(dataDir, 'outbox');
}

export function outboxNotifier(dir: string, now: () => Date = () => new Date()): Notifier {
  return {
    async send(msg) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const at = now();
      // Sortable by time, unique across processes sharing the directory.
      const name = `${at.toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.json`;
      const entry: OutboxEntry = { at: at.toISOString(), ...msg };
      await writeFile(path.join(dir, name), JSON.stringify(entry, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    },
  };
}

/** Messages in the outbox, oldest first; only those for `username` (case-insensitive) when given. */
export async function readOutbox(dir: string, filter: { username?: string; channel?: Channel } = {}): Promise<OutboxEntry[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: OutboxEntry[] = [];
  for (const name of names) {
    let entry: OutboxEntry;
    try {
      entry = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as OutboxEntry;
    } catch {
      continue; // a file being written, or not ours
    }
    if (filter.username && entry.username?.toLowerCase() !== filter.username.toLowerCase()) continue;
    if (filter.channel && entry.channel !== filter.channel) continue;
    entries.push(entry);
  }
  return entries;
}
