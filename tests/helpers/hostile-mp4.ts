import { open } from 'node:fs/promises';

export const hostileDeclaredBytes = 2 ** 31;

/**
 * An `ftyp` box, then a 16-byte `moov` header that declares a 2 GB box, in a sparse file of that size: the header
 * is honest about the file, but the box holds nothing an MP4 parser can use.
 */
export async function writeHostileMp4(path: string, declaredBytes = hostileDeclaredBytes): Promise<void> {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypisom', 4, 'latin1');
  ftyp.write('isomiso2avc1mp41', 8, 'latin1');
  const moov = Buffer.alloc(16);
  moov.writeUInt32BE(1, 0);
  moov.write('moov', 4, 'latin1');
  moov.writeBigUInt64BE(BigInt(declaredBytes - ftyp.length), 8);
  const file = await open(path, 'w');
  try {
    await file.write(Buffer.concat([ftyp, moov]), 0, ftyp.length + moov.length, 0);
    await file.truncate(declaredBytes);
  } finally {
    await file.close();
  }
}

/** A file of `count` empty `free` boxes before a moov: walking it costs one header read per box. */
export function manyFreeBoxes(count: number): Buffer {
  const boxes = Buffer.alloc(count * 8);
  for (let i = 0; i < count; i++) {
    boxes.writeUInt32BE(8, i * 8);
    boxes.write('free', i * 8 + 4, 'latin1');
  }
  return boxes;
}
