// core/db.ts against both stores it serves: named prepared statements of the hot path (prepared()) on PostgreSQL,
// and on embedded PGlite, whose single session outlives each socket connection and keeps their statements.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPool, prepared } from '../../../core/db.ts';
import { startEmbeddedPg } from '../../../core/embedded_pg.ts';

describe('prepared statements', () => {
  it('gives one text one name and two texts two names', () => {
    const a = prepared('SELECT 1 AS a', []);
    expect(prepared('SELECT 1 AS a', [])).toEqual(a);
    expect(prepared('SELECT 2 AS a', []).name).not.toBe(a.name);
  });

  it('run on PostgreSQL with their parameters, again and again', async () => {
    const db = createPool(process.env.DATABASE_URL!, 2);
    try {
      for (let i = 0; i < 3; i++) {
        const { rows } = await db.query(prepared('SELECT $1::int * 2 AS x', [i]));
        expect(rows[0].x).toBe(i * 2);
      }
    } finally {
      await db.end();
    }
  });

  it('survive a reconnection to embedded PGlite, whose session keeps the previous connection\'s statements', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rssp-pglite-'));
    const pg = await startEmbeddedPg(dir);
    try {
      for (let i = 0; i < 2; i++) {
        const db = createPool(pg.url, 1);
        const { rows } = await db.query(prepared('SELECT $1::int + 40 AS x', [i]));
        expect(rows[0].x).toBe(40 + i);
        await db.end();
        // The socket server takes one connection at a time: let it see this one go.
        await new Promise((r) => setTimeout(r, 300));
      }
    } finally {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
