// The signature-time-stamp of a B-T signature (ETSI EN 319 122-1 §5.3, EN 319 142-1 for PAdES): an RFC 3161 token
// over the SignerInfo's signature value, asked of the service with signatures/timestamp (CSC v2 §11.13). Before it
// goes into the signature the token is read back: it must stamp exactly that digest under that hash and carry the
// nonce sent (§11.13: "otherwise the response SHALL be rejected").
import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { HASH_OIDS, type HashAlg } from './signed_data.ts';

export class TimestampError extends Error {}

/** What the client needs of the service for a token: CscApi.timestamp. */
export type TimestampSource = (cmd: { hash: Uint8Array; hashAlgo: string; nonce: string }) => Promise<Uint8Array>;

/** A token over hash(signatureValue), checked; throws TimestampError when the answer is not that token. */
export async function signatureTimestamp(source: TimestampSource, signatureValue: Uint8Array, hash: HashAlg): Promise<Uint8Array> {
  const digest = createHash(hash).update(signatureValue).digest();
  // Hex of a positive INTEGER: no leading zero digit, so that it reads back the same.
  const nonce = `1${randomBytes(15).toString('hex')}`;
  const token = await source({ hash: digest, hashAlgo: HASH_OIDS[hash], nonce });
  const info = tstInfoOf(token);
  if (info.messageImprint.hashAlgorithm.algorithmId !== HASH_OIDS[hash]) throw new TimestampError('the time-stamp token is over another hash algorithm');
  if (!Buffer.from(info.messageImprint.hashedMessage.valueBlock.valueHexView).equals(digest)) throw new TimestampError('the time-stamp token stamps another digest');
  const got = info.nonce ? Buffer.from(info.nonce.valueBlock.valueHexView).toString('hex').replace(/^0+/, '') : undefined;
  if (got !== nonce) throw new TimestampError('the time-stamp token does not carry the nonce sent');
  return token;
}

function tstInfoOf(token: Uint8Array): pkijs.TSTInfo {
  try {
    const ci = new pkijs.ContentInfo({ schema: asn1js.fromBER(token).result });
    const sd = new pkijs.SignedData({ schema: ci.content });
    const content = sd.encapContentInfo.eContent;
    if (!content) throw new Error('no content');
    // A constructed OCTET STRING (BER) holds its value in pieces.
    const pieces = content.idBlock.isConstructed ? (content.valueBlock.value as asn1js.OctetString[]).map((p) => Buffer.from(p.valueBlock.valueHexView)) : [Buffer.from(content.valueBlock.valueHexView)];
    return new pkijs.TSTInfo({ schema: asn1js.fromBER(Buffer.concat(pieces)).result });
  } catch (err) {
    throw new TimestampError(`the service's answer is not a time-stamp token: ${(err as Error).message}`);
  }
}
