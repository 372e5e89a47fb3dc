import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { COMPRESS_MIN_BYTES, COMPRESSED_BODY_MARKER, decodeBody, encodeBody } from '../../../src/services/sync/message-body.js';

const paragraph = 'Grüße aus Zürich – the quarterly report is attached, see the figures on page 3. 😀 ';

describe('compressed message bodies', () => {
  it('round-trips text of every size and script, compressing long text to a fraction', async () => {
    for (const text of ['x', 'short plain text', paragraph, paragraph.repeat(8), paragraph.repeat(2000), 'Привет, мир. '.repeat(500), '\u0000\uFFFD'.repeat(400)]) {
      const encoded = (await encodeBody(text))!;
      expect(decodeBody(encoded)).toBe(text);
      const utf8 = Buffer.byteLength(text, 'utf8');
      if (utf8 < COMPRESS_MIN_BYTES) expect(encoded.equals(Buffer.from(text, 'utf8'))).toBe(true);
    }
    const long = (await encodeBody(paragraph.repeat(2000)))!;
    expect(long[0]).toBe(COMPRESSED_BODY_MARKER);
    expect(long.length).toBeLessThan(Buffer.byteLength(paragraph.repeat(2000)) / 10);
  });

  it('never stores a body larger than its UTF-8 (plus nothing): text that barely compresses stays plain', async () => {
    for (const noise of [randomBytes(6000).toString('base64'), randomBytes(6000).toString('latin1'), String.fromCodePoint(...Array.from(randomBytes(3000), (b, i) => 0x4e00 + b * 64 + (i % 64)))]) {
      const encoded = (await encodeBody(noise))!;
      const utf8 = Buffer.from(noise, 'utf8');
      expect(encoded.length).toBeLessThanOrEqual(utf8.length);
      if (encoded[0] !== COMPRESSED_BODY_MARKER) expect(encoded.equals(utf8)).toBe(true);
      expect(decodeBody(encoded)).toBe(noise);
    }
  });

  it('reads bodies stored before compression (plain UTF-8, whatever their first character)', () => {
    for (const old of ['Hello', 'Ärger', '€ 5', '😀 smile', '\u00ff at the start', '']) expect(decodeBody(Buffer.from(old, 'utf8'))).toBe(old);
  });

  it('stores nothing for an empty or missing body', async () => {
    expect(await encodeBody(null)).toBeNull();
    expect(await encodeBody('')).toBeNull();
  });
});
