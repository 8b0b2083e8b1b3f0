/**
 * Redis Cluster's key-to-slot mapping (CRC16/XMODEM of the key, or of its hash tag, mod 16384), so
 * Tollgate can check before it starts that every key one Lua script or transaction touches lives in
 * one slot: a script whose keys span slots fails on a cluster with CROSSSLOT.
 */

export const CLUSTER_SLOTS = 16_384;

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

/**
 * The part of a key that is hashed: the text between the first `{` and the next `}` when that is
 * not empty, else the whole key (the rule of the Redis Cluster specification).
 */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** The slot `CLUSTER KEYSLOT key` answers. */
export function keySlot(key: string): number {
  return crc16(Buffer.from(hashTag(key), 'utf8')) % CLUSTER_SLOTS;
}

/** Does the prefix carry a hash tag, so that every key built on it hashes to the same slot? */
export function prefixHasHashTag(prefix: string): boolean {
  return hashTag(prefix) !== prefix;
}
