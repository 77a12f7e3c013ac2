import { writeFile } from 'node:fs/promises';

/**
 * A structurally valid MP4 (ftyp, mdat, moov with one avc1 video track) for hosts without ffmpeg. The samples
 * hold placeholder bytes: players will not decode it, but probes read the right size, frame count and fps.
 */
export async function writeMinimalMp4(path: string, width: number, height: number, frames: number, fps: number): Promise<void> {
  const sampleSize = 16;
  const timescale = fps * 512;
  const ftyp = box('ftyp', ascii('isom'), u32(512), ascii('isomiso2avc1mp41'));
  const mdat = box('mdat', Buffer.alloc(sampleSize * frames));
  const mdatPayloadOffset = ftyp.length + 8;
  const duration = frames * 512;
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, u32(1), visualSampleEntry(width, height)),
    fullBox('stts', 0, u32(1), u32(frames), u32(512)),
    fullBox('stsc', 0, u32(1), u32(1), u32(frames), u32(1)),
    fullBox('stsz', 0, u32(sampleSize), u32(frames)),
    fullBox('stco', 0, u32(1), u32(mdatPayloadOffset)),
  );
  const minf = box(
    'minf',
    fullBox('vmhd', 1, Buffer.alloc(8)),
    box('dinf', fullBox('dref', 0, u32(1), fullBox('url ', 1))),
    stbl,
  );
  const mdia = box(
    'mdia',
    fullBox('mdhd', 0, u32(0), u32(0), u32(timescale), u32(duration), u16(0x55c4), u16(0)),
    fullBox('hdlr', 0, u32(0), ascii('vide'), Buffer.alloc(12), ascii('VideoHandler\0')),
    minf,
  );
  const tkhd = fullBox(
    'tkhd', 3, u32(0), u32(0), u32(1), u32(0), u32(Math.round((frames / fps) * 1000)), Buffer.alloc(8),
    u16(0), u16(0), u16(0), u16(0), identityMatrix(), u32(width * 65536), u32(height * 65536),
  );
  const mvhd = fullBox(
    'mvhd', 0, u32(0), u32(0), u32(1000), u32(Math.round((frames / fps) * 1000)), u32(0x00010000), u16(0x0100),
    Buffer.alloc(10), identityMatrix(), Buffer.alloc(24), u32(2),
  );
  const moov = box('moov', mvhd, box('trak', tkhd, mdia));
  await writeFile(path, Buffer.concat([ftyp, mdat, moov]));
}

function visualSampleEntry(width: number, height: number): Buffer {
  const avcC = box('avcC', Buffer.from([1, 0x42, 0xc0, 0x1e, 0xff, 0xe0, 0x00]));
  return box(
    'avc1', Buffer.alloc(6), u16(1), Buffer.alloc(16), u16(width), u16(height), u32(0x00480000), u32(0x00480000),
    u32(0), u16(1), Buffer.alloc(32), u16(0x18), u16(0xffff), avcC,
  );
}

function identityMatrix(): Buffer {
  return Buffer.concat([0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map(u32));
}

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), ascii(type), body]);
}

function fullBox(type: string, flags: number, ...payload: Buffer[]): Buffer {
  return box(type, u32(flags & 0xffffff), ...payload);
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
