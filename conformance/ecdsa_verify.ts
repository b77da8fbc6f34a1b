// ECDSA verification over a digest the kit computed itself (FIPS 186-5 §6.4.2). Node's crypto and WebCrypto only
// verify over a message they hash themselves, but signHash (CSC v2 §11.10) signs a digest, so the kit does the
// arithmetic: a verifier, not a signer, so constant time does not matter here.
import { toBigInt } from './der.ts';

type Curve = { p: bigint; a: bigint; b: bigint; n: bigint; gx: bigint; gy: bigint; bytes: number; oid: string };

const h = (s: string) => BigInt(`0x${s}`);

/** The NIST prime curves CSC credentials use, keyed by their JWK name. */
export const CURVES: Record<string, Curve> = {
  'P-256': {
    p: h('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff'),
    a: h('ffffffff00000001000000000000000000000000fffffffffffffffffffffffc'),
    b: h('5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b'),
    n: h('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
    gx: h('6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296'),
    gy: h('4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5'),
    bytes: 32,
    oid: '1.2.840.10045.3.1.7',
  },
  'P-384': {
    p: h('fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff'),
    a: h('fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffc'),
    b: h('b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef'),
    n: h('ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
    gx: h('aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7'),
    gy: h('3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f'),
    bytes: 48,
    oid: '1.3.132.0.34',
  },
  'P-521': {
    p: (1n << 521n) - 1n,
    a: (1n << 521n) - 4n,
    b: h('0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00'),
    n: h('01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409'),
    gx: h('00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66'),
    gy: h('011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650'),
    bytes: 66,
    oid: '1.3.132.0.35',
  },
};

type Jacobian = [bigint, bigint, bigint];

const mod = (x: bigint, m: bigint) => ((x % m) + m) % m;

function invert(x: bigint, m: bigint): bigint {
  let [a, b, u, v] = [mod(x, m), m, 1n, 0n];
  while (a !== 0n) {
    const q = b / a;
    [a, b, u, v] = [b - q * a, a, v - q * u, u];
  }
  return mod(v, m);
}

function double(c: Curve, [x, y, z]: Jacobian): Jacobian {
  if (y === 0n || z === 0n) return [0n, 1n, 0n];
  const { p, a } = c;
  const yy = (y * y) % p;
  const s = (4n * x * yy) % p;
  const zz = (z * z) % p;
  const m = mod(3n * x * x + a * zz * zz, p);
  const x3 = mod(m * m - 2n * s, p);
  const y3 = mod(m * (s - x3) - 8n * yy * yy, p);
  const z3 = (2n * y * z) % p;
  return [x3, y3, z3];
}

function add(c: Curve, P: Jacobian, Q: Jacobian): Jacobian {
  if (P[2] === 0n) return Q;
  if (Q[2] === 0n) return P;
  const { p } = c;
  const z1z1 = (P[2] * P[2]) % p;
  const z2z2 = (Q[2] * Q[2]) % p;
  const u1 = (P[0] * z2z2) % p;
  const u2 = (Q[0] * z1z1) % p;
  const s1 = (P[1] * Q[2] * z2z2) % p;
  const s2 = (Q[1] * P[2] * z1z1) % p;
  if (u1 === u2) return s1 === s2 ? double(c, P) : [0n, 1n, 0n];
  const hh = mod(u2 - u1, p);
  const r = mod(s2 - s1, p);
  const h2 = (hh * hh) % p;
  const h3 = (h2 * hh) % p;
  const x3 = mod(r * r - h3 - 2n * u1 * h2, p);
  const y3 = mod(r * (u1 * h2 - x3) - s1 * h3, p);
  const z3 = (hh * P[2] * Q[2]) % p;
  return [x3, y3, z3];
}

/** u1·G + u2·Q in one pass (Shamir's trick). */
function mulAdd(c: Curve, u1: bigint, G: Jacobian, u2: bigint, Q: Jacobian): Jacobian {
  const GQ = add(c, G, Q);
  let R: Jacobian = [0n, 1n, 0n];
  const bits = Math.max(u1.toString(2).length, u2.toString(2).length);
  for (let i = bits - 1; i >= 0; i--) {
    R = double(c, R);
    const b1 = (u1 >> BigInt(i)) & 1n;
    const b2 = (u2 >> BigInt(i)) & 1n;
    if (b1 && b2) R = add(c, R, GQ);
    else if (b1) R = add(c, R, G);
    else if (b2) R = add(c, R, Q);
  }
  return R;
}

/** The leftmost bits of the digest as an integer, as many as the order has (FIPS 186-5 §6.4.2 step 3). */
function digestToInt(c: Curve, digest: Uint8Array): bigint {
  const nBits = c.n.toString(2).length;
  let e = toBigInt(digest);
  const excess = digest.length * 8 - nBits;
  if (excess > 0) e >>= BigInt(excess);
  return e;
}

/** True when (r, s) is a valid ECDSA signature of `digest` under the public point (x, y) of `curve`. */
export function ecdsaVerifyDigest(curve: string, x: bigint, y: bigint, digest: Uint8Array, r: bigint, s: bigint): boolean {
  const c = CURVES[curve];
  if (!c) throw new Error(`unsupported curve ${curve}`);
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  const w = invert(s, c.n);
  const e = digestToInt(c, digest);
  const R = mulAdd(c, mod(e * w, c.n), [c.gx, c.gy, 1n], mod(r * w, c.n), [x, y, 1n]);
  if (R[2] === 0n) return false;
  const zi = invert(R[2], c.p);
  const ax = (R[0] * zi * zi) % c.p;
  return mod(ax, c.n) === r;
}
