// The development token: a SoftHSM2 token under DATA_DIR, created on first start, so that `npm start` works on a
// machine with nothing but Node and SoftHSM (DESIGN §3). Production refuses it (core/config.ts): its PINs sit in
// files next to the token, which is exactly what an HSM is there to avoid.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, findSoftHsm } from '../core/config.ts';
import { initTokenIfAbsent } from '../sam/hsm/pkcs11/index.ts';

const TEMPLATE = new URL('./softhsm2.conf.template', import.meta.url);

/**
 * Writes `<dataDir>/softhsm/softhsm2.conf`, points SOFTHSM2_CONF at it (SoftHSM reads it once, in C_Initialize, so
 * this must run before the module is opened in this process), generates the user and SO PINs on first start and
 * initialises the token `label` if it does not exist. Idempotent across restarts.
 */
export async function ensureDevToken(opts: { dataDir: string; label: string; module?: string }): Promise<{ module: string; pin: string }> {
  const module = opts.module ?? findSoftHsm(existsSync);
  if (!module) throw new ConfigError('SoftHSM2 not found: apt-get install softhsm2');
  if (!existsSync(module)) throw new ConfigError(`PKCS#11 module not found: ${module}`);
  const dir = path.resolve(opts.dataDir, 'softhsm');
  const tokens = path.join(dir, 'tokens');
  await mkdir(tokens, { recursive: true, mode: 0o700 });

  const conf = path.join(dir, 'softhsm2.conf');
  const text = (await readFile(TEMPLATE, 'utf8')).replaceAll('{{TOKENDIR}}', tokens);
  if ((await readIfExists(conf)) !== text) await writeFile(conf, text, { mode: 0o600 });
  process.env.SOFTHSM2_CONF = conf;

  // The PINs exist before the token does: a crash in between must not leave a token nobody can log in to.
  const pin = await secretFile(path.join(dir, 'user-pin'));
  const soPin = await secretFile(path.join(dir, 'so-pin'));
  const result = await initTokenIfAbsent({ module, label: opts.label, soPin: soPin.value, pin: pin.value });
  if (result === 'existing' && pin.created) {
    throw new ConfigError(`token "${opts.label}" exists in ${tokens} but its PIN file was missing; restore ${dir}/user-pin or remove the token`);
  }
  return { module, pin: pin.value };
}

/** Reads a generated secret, or creates it (mode 0600, exclusive create so that two starters agree on one). */
async function secretFile(file: string): Promise<{ value: string; created: boolean }> {
  const existing = await readIfExists(file);
  if (existing !== undefined) return { value: existing.trim(), created: false };
  const value = randomBytes(24).toString('base64url');
  try {
    await writeFile(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { value: (await readFile(file, 'utf8')).trim(), created: false };
  }
  await chmod(file, 0o600); // a umask can only narrow the mode; make it exactly 0600
  return { value, created: true };
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
