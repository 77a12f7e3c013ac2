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

const HEADER_BYTES = 16;
const CONTAINER_BOXES = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

export function probeMp4(bytes: Uint8Array): Mp4Info {
  const view = toView(bytes);
  const moov = readBoxes(view, 0, view.byteLength).find((box) => box.type === 'moov');
  if (!moov) throw new Mp4Error('not an MP4: no moov box');
  return parseMoov(view, moov);
}

/** Reads only the top-level box headers and the moov box, so a large mdat costs nothing. */
export async function probeMp4File(path: string): Promise<Mp4Info> {
  const file = await open(path, 'r');
  try {
    const fileSize = (await file.stat()).size;
    let offset = 0;
    while (offset < fileSize) {
      const headerLength = Math.min(HEADER_BYTES, fileSize - offset);
      const header = new Uint8Array(headerLength);
      await file.read(header, 0, headerLength, offset);
      const box = readBoxHeader(toView(header), 0, fileSize - offset);
      if (box.type === 'moov') {
        const moov = new Uint8Array(box.end);
        await file.read(moov, 0, box.end, offset);
        return parseMoov(toView(moov), box);
      }
      offset += box.end;
    }
    throw new Mp4Error('not an MP4: no moov box');
  } catch (error) {
    if (error instanceof Mp4Error) throw new Mp4Error(`${path}: ${error.message}`);
    throw error;
  } finally {
    await file.close();
  }
}

function toView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Box offsets in the result are relative to `base`; `limit` is how many bytes are available from there. */
function readBoxHeader(view: DataView, base: number, limit: number): Box {
  if (limit < 8) throw new Mp4Error(`truncated box header at offset ${base}`);
  const size32 = view.getUint32(base);
  const type = String.fromCharCode(
    view.getUint8(base + 4),
    view.getUint8(base + 5),
    view.getUint8(base + 6),
    view.getUint8(base + 7),
  );
  if (!/^[\x20-\x7e\xa9]{4}$/.test(type)) {
    throw new Mp4Error(`not an MP4: invalid box header at offset ${base}`);
  }
  let size = size32;
  let headerSize = 8;
  if (size32 === 1) {
    if (limit < 16) throw new Mp4Error(`truncated box '${type}' at offset ${base}`);
    size = Number(view.getBigUint64(base + 8));
    headerSize = 16;
  } else if (size32 === 0) {
    size = limit;
  }
  if (size < headerSize) throw new Mp4Error(`invalid size ${size} for box '${type}' at offset ${base}`);
  if (size > limit) {
    throw new Mp4Error(`truncated box '${type}' at offset ${base}: needs ${size} bytes, ${limit} available`);
  }
  return { type, start: base, payloadStart: base + headerSize, end: base + size };
}

function readBoxes(view: DataView, start: number, end: number): Box[] {
  const boxes: Box[] = [];
  let offset = start;
  while (offset < end) {
    const box = readBoxHeader(view, offset, end - offset);
    boxes.push(box);
    offset = box.end;
  }
  return boxes;
}

function childBoxes(view: DataView, parent: Box): Box[] {
  return readBoxes(view, parent.payloadStart, parent.end);
}

function findChild(view: DataView, parent: Box, path: string[]): Box | undefined {
  let current: Box | undefined = parent;
  for (const type of path) {
    if (!current || !CONTAINER_BOXES.has(current.type)) return undefined;
    current = childBoxes(view, current).find((box) => box.type === type);
  }
  return current;
}

function parseMoov(view: DataView, moov: Box): Mp4Info {
  const tracks = childBoxes(view, moov).filter((box) => box.type === 'trak');
  const video = tracks.find((trak) => readHandler(view, trak) === 'vide');
  if (!video) throw new Mp4Error('no video track');
  const { width, height } = readDimensions(view, video);
  const frames = readFrameCount(view, video);
  if (frames === 0) throw new Mp4Error('video track has no frames');
  const { timescale, duration } = readMediaHeader(view, video);
  const durationSeconds = timescale > 0 ? duration / timescale : 0;
  const fps = durationSeconds > 0 ? Math.round((frames / durationSeconds) * 1000) / 1000 : 0;
  return { width, height, frames, fps, durationSeconds };
}

function ensureFits(box: Box, bytes: number): void {
  if (box.payloadStart + bytes > box.end) throw new Mp4Error(`truncated '${box.type}' box at offset ${box.start}`);
}

function readHandler(view: DataView, trak: Box): string | undefined {
  const hdlr = findChild(view, trak, ['mdia', 'hdlr']);
  if (!hdlr) return undefined;
  ensureFits(hdlr, 12);
  const at = hdlr.payloadStart + 8;
  return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
}

function readDimensions(view: DataView, trak: Box): { width: number; height: number } {
  const tkhd = findChild(view, trak, ['tkhd']);
  if (tkhd) {
    const version = view.getUint8(tkhd.payloadStart);
    const at = tkhd.payloadStart + (version === 1 ? 88 : 76);
    ensureFits(tkhd, at - tkhd.payloadStart + 8);
    const width = view.getUint32(at) / 65536;
    const height = view.getUint32(at + 4) / 65536;
    if (width > 0 && height > 0) return { width: Math.round(width), height: Math.round(height) };
  }
  const stsd = findChild(view, trak, ['mdia', 'minf', 'stbl', 'stsd']);
  if (!stsd) throw new Mp4Error('video track has no tkhd dimensions and no stsd box');
  // stsd: version/flags(4) entry_count(4), then the first sample entry box; width/height sit 32 bytes into its payload.
  ensureFits(stsd, 8 + 8 + 36);
  const entryPayload = stsd.payloadStart + 8 + 8;
  return { width: view.getUint16(entryPayload + 24), height: view.getUint16(entryPayload + 26) };
}

function readFrameCount(view: DataView, trak: Box): number {
  const stsz = findChild(view, trak, ['mdia', 'minf', 'stbl', 'stsz']);
  if (stsz) {
    ensureFits(stsz, 12);
    return view.getUint32(stsz.payloadStart + 8);
  }
  const stts = findChild(view, trak, ['mdia', 'minf', 'stbl', 'stts']);
  if (!stts) return 0;
  ensureFits(stts, 8);
  const entries = view.getUint32(stts.payloadStart + 4);
  ensureFits(stts, 8 + entries * 8);
  let frames = 0;
  for (let i = 0; i < entries; i++) frames += view.getUint32(stts.payloadStart + 8 + i * 8);
  return frames;
}

function readMediaHeader(view: DataView, trak: Box): { timescale: number; duration: number } {
  const mdhd = findChild(view, trak, ['mdia', 'mdhd']);
  if (!mdhd) throw new Mp4Error('video track has no mdhd box');
  const version = view.getUint8(mdhd.payloadStart);
  if (version === 1) {
    ensureFits(mdhd, 32);
    return {
      timescale: view.getUint32(mdhd.payloadStart + 20),
      duration: Number(view.getBigUint64(mdhd.payloadStart + 24)),
    };
  }
  ensureFits(mdhd, 20);
  return { timescale: view.getUint32(mdhd.payloadStart + 12), duration: view.getUint32(mdhd.payloadStart + 16) };
}
