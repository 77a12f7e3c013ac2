import { open } from 'node:fs/promises';

export interface Mp4Info {
  width: number;
  height: number;
  frames: number;
  fps: number;
  durationSeconds: number;
}

export class Mp4Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Mp4Error';
  }
}

interface Box {
  type: string;
  start: number;
  payloadStart: number;
  end: number;
}

/** Random access to a file or buffer; every read the probe makes is a few bytes to a few KiB, whatever a box declares. */
interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<DataView>;
}

// A declared size is only ever used as a distance to skip, never as an allocation or a read length: these bound the
// work a hostile file can cause (a 16-byte header can declare a 2 GB box).
const maxBoxes = 20_000;
const maxTracks = 64;
const maxSttsEntries = 1_000_000;
const sttsChunkEntries = 4096;
const containerBoxes = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

/** Probes an MP4 held in memory (tests, small buffers). */
export function probeMp4(bytes: Uint8Array): Promise<Mp4Info> {
  const whole = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return probe({
    size: bytes.byteLength,
    read: async (offset, length) => new DataView(whole.buffer, whole.byteOffset + offset, Math.min(length, bytes.byteLength - offset)),
  });
}

/** Walks the box headers and reads only the few fields it needs, so neither a large mdat nor a lying header costs memory. */
export async function probeMp4File(path: string): Promise<Mp4Info> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    return await probe({
      size,
      async read(offset, length) {
        const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
        return new DataView(buffer.buffer, buffer.byteOffset, bytesRead);
      },
    });
  } catch (error) {
    if (error instanceof Mp4Error) throw new Mp4Error(`${path}: ${error.message}`);
    throw error;
  } finally {
    await file.close();
  }
}

async function probe(source: ByteSource): Promise<Mp4Info> {
  const walker = createWalker(source);
  const moov = await walker.find(0, source.size, 'moov');
  if (!moov) throw new Mp4Error('not an MP4: no moov box');
  return parseMoov(walker, moov);
}

function createWalker(source: ByteSource) {
  let visited = 0;

  async function readHeader(at: number, end: number): Promise<Box> {
    if (++visited > maxBoxes) throw new Mp4Error(`more than ${maxBoxes} boxes: not a video this probe accepts`);
    const limit = end - at;
    if (limit < 8) throw new Mp4Error(`truncated box header at offset ${at}`);
    const view = await source.read(at, Math.min(16, limit));
    if (view.byteLength < 8) throw new Mp4Error(`truncated box header at offset ${at}`);
    const size32 = view.getUint32(0);
    const type = String.fromCharCode(view.getUint8(4), view.getUint8(5), view.getUint8(6), view.getUint8(7));
    if (!/^[\x20-\x7e\xa9]{4}$/.test(type)) throw new Mp4Error(`not an MP4: invalid box header at offset ${at}`);
    let size = size32;
    let headerSize = 8;
    if (size32 === 1) {
      if (view.byteLength < 16) throw new Mp4Error(`truncated box '${type}' at offset ${at}`);
      size = Number(view.getBigUint64(8));
      headerSize = 16;
    } else if (size32 === 0) {
      size = limit;
    }
    if (size < headerSize) throw new Mp4Error(`invalid size ${size} for box '${type}' at offset ${at}`);
    if (size > limit) throw new Mp4Error(`truncated box '${type}' at offset ${at}: needs ${size} bytes, ${limit} available`);
    return { type, start: at, payloadStart: at + headerSize, end: at + size };
  }

  async function find(start: number, end: number, type: string): Promise<Box | undefined> {
    for (let at = start; at < end;) {
      const box = await readHeader(at, end);
      if (box.type === type) return box;
      at = box.end;
    }
    return undefined;
  }

  return {
    find,
    async children(parent: Box, type: string, max: number): Promise<Box[]> {
      const found: Box[] = [];
      for (let at = parent.payloadStart; at < parent.end;) {
        const box = await readHeader(at, parent.end);
        if (box.type === type) {
          if (found.length >= max) throw new Mp4Error(`more than ${max} '${type}' boxes`);
          found.push(box);
        }
        at = box.end;
      }
      return found;
    },
    async descend(parent: Box, path: string[]): Promise<Box | undefined> {
      let current: Box | undefined = parent;
      for (const type of path) {
        if (!current || !containerBoxes.has(current.type)) return undefined;
        current = await find(current.payloadStart, current.end, type);
      }
      return current;
    },
    /** `length` bytes of a box's payload from `offset`; a box too short for them is truncated. */
    async payload(box: Box, offset: number, length: number): Promise<DataView> {
      if (box.payloadStart + offset + length > box.end) throw new Mp4Error(`truncated '${box.type}' box at offset ${box.start}`);
      const view = await source.read(box.payloadStart + offset, length);
      if (view.byteLength < length) throw new Mp4Error(`truncated '${box.type}' box at offset ${box.start}`);
      return view;
    },
  };
}

type Walker = ReturnType<typeof createWalker>;

async function parseMoov(walker: Walker, moov: Box): Promise<Mp4Info> {
  let video: Box | undefined;
  for (const trak of await walker.children(moov, 'trak', maxTracks)) {
    if (await readHandler(walker, trak) === 'vide') {
      video = trak;
      break;
    }
  }
  if (!video) throw new Mp4Error('no video track');
  const { width, height } = await readDimensions(walker, video);
  const frames = await readFrameCount(walker, video);
  if (frames === 0) throw new Mp4Error('video track has no frames');
  const { timescale, duration } = await readMediaHeader(walker, video);
  const durationSeconds = timescale > 0 ? duration / timescale : 0;
  const fps = durationSeconds > 0 ? Math.round((frames / durationSeconds) * 1000) / 1000 : 0;
  return { width, height, frames, fps, durationSeconds };
}

async function readHandler(walker: Walker, trak: Box): Promise<string | undefined> {
  const hdlr = await walker.descend(trak, ['mdia', 'hdlr']);
  if (!hdlr) return undefined;
  const view = await walker.payload(hdlr, 8, 4);
  return String.fromCharCode(view.getUint8(0), view.getUint8(1), view.getUint8(2), view.getUint8(3));
}

async function readDimensions(walker: Walker, trak: Box): Promise<{ width: number; height: number }> {
  const tkhd = await walker.descend(trak, ['tkhd']);
  if (tkhd) {
    const version = (await walker.payload(tkhd, 0, 1)).getUint8(0);
    const view = await walker.payload(tkhd, version === 1 ? 88 : 76, 8);
    const width = view.getUint32(0) / 65536;
    const height = view.getUint32(4) / 65536;
    if (width > 0 && height > 0) return { width: Math.round(width), height: Math.round(height) };
  }
  const stsd = await walker.descend(trak, ['mdia', 'minf', 'stbl', 'stsd']);
  if (!stsd) throw new Mp4Error('video track has no tkhd dimensions and no stsd box');
  // stsd: version/flags(4) entry_count(4), then the first sample entry box; width/height sit 24 bytes into its payload.
  const view = await walker.payload(stsd, 8 + 8 + 24, 4);
  return { width: view.getUint16(0), height: view.getUint16(2) };
}

async function readFrameCount(walker: Walker, trak: Box): Promise<number> {
  const stsz = await walker.descend(trak, ['mdia', 'minf', 'stbl', 'stsz']);
  if (stsz) return (await walker.payload(stsz, 8, 4)).getUint32(0);
  const stts = await walker.descend(trak, ['mdia', 'minf', 'stbl', 'stts']);
  if (!stts) return 0;
  const entries = (await walker.payload(stts, 4, 4)).getUint32(0);
  if (entries > maxSttsEntries) throw new Mp4Error(`'stts' declares ${entries} entries; at most ${maxSttsEntries} are read`);
  let frames = 0;
  for (let first = 0; first < entries; first += sttsChunkEntries) {
    const count = Math.min(sttsChunkEntries, entries - first);
    const view = await walker.payload(stts, 8 + first * 8, count * 8);
    for (let i = 0; i < count; i++) frames += view.getUint32(i * 8);
  }
  return frames;
}

async function readMediaHeader(walker: Walker, trak: Box): Promise<{ timescale: number; duration: number }> {
  const mdhd = await walker.descend(trak, ['mdia', 'mdhd']);
  if (!mdhd) throw new Mp4Error('video track has no mdhd box');
  const version = (await walker.payload(mdhd, 0, 1)).getUint8(0);
  if (version === 1) {
    const view = await walker.payload(mdhd, 20, 12);
    return { timescale: view.getUint32(0), duration: Number(view.getBigUint64(4)) };
  }
  const view = await walker.payload(mdhd, 12, 8);
  return { timescale: view.getUint32(0), duration: view.getUint32(4) };
}
