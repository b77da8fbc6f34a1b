// The copy of every checkpoint kept outside the database (issue #14 finding 2): one JSON line per checkpoint,
// appended and fsynced after its row commits. A writer of PostgreSQL can delete the newest checkpoints together
// with the records they cover, and nothing left in the database shows it; this file still holds them, and
// `audit:verify --anchors FILE` (core/audit_chain.ts) names what went missing. The file is only as safe as where it
// lives: append-only or WORM storage, or shipped elsewhere as it grows (docs/deployment.md).
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { CheckpointAnchor } from './checkpoints.ts';

export function fileAnchor(file: string): CheckpointAnchor {
  let dirReady: Promise<unknown> | null = null;
  return async (line) => {
    dirReady ??= mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await dirReady;
    const fh = await open(file, 'a', 0o640);
    try {
      await fh.appendFile(`${JSON.stringify(line)}\n`, 'utf8');
      await fh.sync(); // the row has committed: its copy must not sit in a page cache when the host fails
    } finally {
      await fh.close();
    }
  };
}
