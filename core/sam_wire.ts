// How the SAM port (core/sam_port.ts) and the audit port (core/audit_port.ts) cross a process boundary in split
// mode (DESIGN §4): one JSON document per call, in both directions. The ports carry plain data only, so one codec
// serves every method: byte strings become { "$b64": "<standard base64>" }, everything else is JSON as it is.
// Refusals travel as { "samError": code, "detail"? } and become the same SamError on the other side.
import { SamError, type SamErrorCode } from './sam_port.ts';

/** The one object shape that stands for bytes; nothing else on the ports has a key beginning with '$'. */
const BYTES = '$b64';

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    // `this[key]` is the value before toJSON: a Buffer would otherwise arrive here as { type, data: [...] }.
    const raw = this[key];
    if (raw instanceof Uint8Array) return { [BYTES]: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
    return v;
  });
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const b = (v as Record<string, unknown>)[BYTES];
      if (keys.length === 1 && typeof b === 'string') return new Uint8Array(Buffer.from(b, 'base64'));
    }
    return v;
  });
}

export type WireError = { samError: SamErrorCode; detail?: string };

export function isWireError(v: unknown): v is WireError {
  return v !== null && typeof v === 'object' && typeof (v as WireError).samError === 'string';
}

export function wireError(err: SamError): WireError {
  return err.detail === undefined ? { samError: err.code } : { samError: err.code, detail: err.detail };
}

export function samErrorFromWire(e: WireError): SamError {
  return new SamError(e.samError, e.detail);
}

/** The SAM's HTTP paths: one per port method, so that a log line or a metric names the operation. */
export const SAM_PATHS = {
  port: (method: string) => `/v1/sam/${method}`,
  audit: (method: 'record' | 'export' | 'evidence') => `/v1/audit/${method}`,
  ready: '/v1/ready',
} as const;
