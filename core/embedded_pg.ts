// Embedded PostgreSQL for `npm start` on a bare machine (DESIGN §3): PGlite (Postgres compiled to WASM) with its
// data under DATA_DIR, served on a loopback port through pglite-socket so that the service uses the very same
// `pg` code path as in production. PGlite runs one session: the socket server takes one connection and the
// caller must size its pool to 1, so that transactions of concurrent requests never interleave.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export type EmbeddedPg = { url: string; stop(): Promise<void> };

export async function startEmbeddedPg(dataDir: string): Promise<EmbeddedPg> {
  const dir = path.join(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const conn = server.getServerConn(); // "host:port"
  return {
    url: `postgres://postgres@${conn}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
