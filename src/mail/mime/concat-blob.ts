/**
 * A plain in-memory Blob for the parse workers. postal-mime collects every decoded line of a part
 * as a separate Blob part and reads it back with `arrayBuffer()`; Node's Blob copies each part into
 * native memory and reads it back asynchronously, chunk by chunk — in the sync's profile that was
 * the largest item of a parse (docs/performance.md). A parse worker runs nothing but the parser, so
 * it installs this class as its global Blob (`installConcatBlob`): the same bytes, one copy.
 */
type Part = ArrayBuffer | ArrayBufferView | string | ConcatBlob;

export class ConcatBlob {
  readonly type: string;
  readonly #bytes: Buffer;

  constructor(parts: readonly Part[] = [], options: { type?: string } = {}) {
    this.type = (options.type ?? '').toLowerCase();
    this.#bytes = Buffer.concat(parts.map(toBytes));
  }

  get size(): number {
    return this.#bytes.length;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const out = new ArrayBuffer(this.#bytes.length);
    new Uint8Array(out).set(this.#bytes);
    return out;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  async text(): Promise<string> {
    return this.#bytes.toString('utf8');
  }

  slice(start?: number, end?: number, type?: string): ConcatBlob {
    return new ConcatBlob([this.#bytes.subarray(start, end)], { type });
  }

  get [Symbol.toStringTag](): string {
    return 'Blob';
  }

  /** The bytes without a copy (for building a larger blob). */
  static bytesOf(blob: ConcatBlob): Buffer {
    return blob.#bytes;
  }
}

function toBytes(part: Part): Uint8Array {
  if (part instanceof ConcatBlob) return ConcatBlob.bytesOf(part);
  if (typeof part === 'string') return Buffer.from(part, 'utf8');
  if (part instanceof ArrayBuffer) return new Uint8Array(part);
  return new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
}

/** Makes ConcatBlob the global Blob of this thread. Only for threads that run nothing but the parser. */
export function installConcatBlob(): void {
  (globalThis as { Blob: unknown }).Blob = ConcatBlob;
}
