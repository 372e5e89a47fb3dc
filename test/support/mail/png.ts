import zlib from 'node:zlib';
import type { Rng } from './random.js';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A small, valid RGB PNG (real IHDR/IDAT/IEND with CRCs) filled with a seeded pattern. */
export function makePng(rng: Rng, width = rng.int(8, 48), height = rng.int(8, 48)): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  const [r, g, b] = [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const o = row + 1 + x * 3;
      raw[o] = (r + x * 7) & 0xff;
      raw[o + 1] = (g + y * 5) & 0xff;
      raw[o + 2] = (b + x * y) & 0xff;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PDF-looking binary: real header and trailer, seeded filler between. */
export function makePdfLike(rng: Rng, size: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstream\n', 'latin1');
  const tail = Buffer.from('\nendstream\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1');
  const fill = Math.max(0, size - head.length - tail.length);
  return Buffer.concat([head, rng.bytes(fill), tail]);
}
