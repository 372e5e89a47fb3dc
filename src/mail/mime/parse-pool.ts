import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiledWorkerUrl } from '../../compiled-worker.js';
import type { SealingKeys } from '../../crypto/sealer.js';
import { joinRaw, parseMessage, type ParsedMessage, type ParseOptions } from './parse.js';
import type { SealedParts, SealTarget } from './sealed-parse.js';

/**
 * Parses messages on worker threads, so the event loop stays free for IMAP and the database while
 * a batch is decoded: the sync fetches the next batch and writes the previous one meanwhile. The
 * whole parse (structure pass and decoder) runs there; the worker gets its own copy of the source,
 * the caller keeps the original to seal it. Messages below `thresholdBytes` parse in-process.
 */
export interface ParsePool {
  /**
   * Parses one message. The source is moved to the worker and back, not copied: from the call on,
   * use `result.source`, not the Buffer passed in (which may be empty until then and after).
   */
  parse(raw: Buffer | readonly Buffer[], options?: PoolParseOptions): Promise<ParseResult>;
  /** How many parses went to a worker (for tests and metrics). */
  readonly offloaded: number;
  close(): Promise<void>;
}

export interface PoolParseOptions extends ParseOptions {
  /**
   * Compress text and HTML for storage on the worker (see body-codec): the result then carries
   * `bodies`, and `parsed.text` / `parsed.html` are left out (null) rather than copied back.
   */
  encodeBodies?: boolean;
  /**
   * Seal and hash on the worker too (implies `encodeBodies`): the result then carries `sealed` and
   * no source, which stays on the worker. Ignored for a message parsed in-process.
   */
  seal?: SealTarget & { keys: SealingKeys };
}

export interface ParseResult {
  parsed: ParsedMessage;
  /** The message source: the same bytes as given, possibly in a new Buffer; null when `sealed` is given. */
  source: Buffer | null;
  /** With `encodeBodies`, when the message went to a worker: the stored form of text and HTML. */
  bodies?: { text: Buffer | null; html: Buffer | null };
  /** With `seal`, when the message went to a worker: its sealed source and bodies and content hash. */
  sealed?: SealedParts;
}

/** True when the bytes are a whole ArrayBuffer of their own, so moving it to another thread takes nothing else along. */
export function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
}

export interface ParsePoolOptions {
  /** Sources of at least this many bytes go to a worker (default 0: all of them). */
  thresholdBytes?: number;
  /** Worker threads (default: one less than the cores, at least 1, at most 4). */
  workers?: number;
  /** Overrides the worker script (tests). */
  workerUrl?: URL;
  /** Young-generation heap of each worker (MB). */
  youngGenerationMb?: number;
}

export const DEFAULT_OFFLOAD_BYTES = 0;
/**
 * A parse leaves mostly short-lived garbage; V8's default young generation (tens of MB per isolate)
 * would be held as resident memory by every worker. 8 MB measured the same CPU and ~40 MB less peak
 * RSS on the sync bench (docs/performance.md).
 */
export const DEFAULT_YOUNG_GENERATION_MB = 8;

export function defaultParseWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

export interface ParseRequest {
  id: number;
  raw: Uint8Array;
  options: PoolParseOptions;
}

export type ParseAnswer =
  | { id: number; parsed: ParsedMessage; raw: Uint8Array | null; bodies?: { text: Uint8Array | null; html: Uint8Array | null }; sealed?: SealedParts }
  | { id: number; error: string };

const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const maybeBuffer = (b: Uint8Array | null) => b && asBuffer(b);

/** Buffers arrive from a worker as plain Uint8Arrays; the same memory, viewed as Buffers again. */
function sealedFromWorker(s: SealedParts): SealedParts {
  return { sourceChunks: s.sourceChunks.map(asBuffer), runs: s.runs, contentHash: asBuffer(s.contentHash), text: maybeBuffer(s.text), html: maybeBuffer(s.html) };
}

interface Pending {
  resolve(p: ParseResult): void;
  reject(e: Error): void;
}

/** One worker and the requests it holds (it works through them one at a time, in order). */
interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * Requests handed to one worker at a time: enough that it never waits for the next, few enough that
 * copies of a whole batch never pile up in its memory. The rest wait in the pool.
 */
const PER_WORKER = 16;

interface Waiting extends Pending {
  buf: Buffer;
  options: PoolParseOptions;
}

export function createParsePool(options: ParsePoolOptions = {}): ParsePool {
  const threshold = options.thresholdBytes ?? DEFAULT_OFFLOAD_BYTES;
  const size = Math.max(1, options.workers ?? defaultParseWorkers());
  const slots: Slot[] = [];
  const waiting: Waiting[] = [];
  let nextId = 1;
  let offloaded = 0;
  let closed = false;

  const spawn = (): Slot => {
    const worker = new Worker(options.workerUrl ?? compiledWorkerUrl('./parse-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: options.youngGenerationMb ?? DEFAULT_YOUNG_GENERATION_MB } });
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (msg: ParseAnswer) => {
      const p = slot.pending.get(msg.id);
      slot.pending.delete(msg.id);
      if ('parsed' in msg) {
        const bodies = msg.bodies && { text: maybeBuffer(msg.bodies.text), html: maybeBuffer(msg.bodies.html) };
        p?.resolve({ parsed: msg.parsed, source: maybeBuffer(msg.raw), ...(bodies ? { bodies } : {}), ...(msg.sealed ? { sealed: sealedFromWorker(msg.sealed) } : {}) });
      }
      else p?.reject(new Error(`parse worker failed (${msg.error})`));
      dispatch();
      if (slot.pending.size === 0) worker.unref();
    });
    worker.on('error', (err) => {
      // A crashed worker fails the messages it held; a new worker takes its place on the next request.
      if (slots.includes(slot)) slots.splice(slots.indexOf(slot), 1);
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      dispatch();
    });
    slots.push(slot);
    return slot;
  };

  /** A worker with room for another request, or a new one while there are fewer than `size`. */
  const free = (): Slot | undefined => {
    const idle = slots.find((s) => s.pending.size === 0);
    if (idle) return idle;
    if (slots.length < size) return spawn();
    return slots.find((s) => s.pending.size < PER_WORKER);
  };

  const send = (slot: Slot, job: Waiting) => {
    const id = nextId++;
    // Moved to the worker and back. A Buffer that shares its memory with others (Node's small-buffer
    // pool) is copied first: moving it would take the others' bytes along.
    const raw = ownsBuffer(job.buf) ? new Uint8Array(job.buf.buffer) : new Uint8Array(job.buf);
    slot.pending.set(id, job);
    slot.worker.ref();
    slot.worker.postMessage({ id, raw, options: job.options } satisfies ParseRequest, [raw.buffer as ArrayBuffer]);
  };

  const dispatch = () => {
    for (let slot = free(); slot && waiting.length > 0 && !closed; slot = free()) send(slot, waiting.shift()!);
  };

  return {
    get offloaded() {
      return offloaded;
    },
    async parse(raw, parseOptions = {}) {
      const buf = joinRaw(raw);
      if (buf.byteLength < threshold || closed) return { parsed: await parseMessage(buf, { maxBytes: parseOptions.maxBytes }), source: buf };
      offloaded++;
      return new Promise<ParseResult>((resolve, reject) => {
        waiting.push({ buf, options: parseOptions, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const w of waiting.splice(0)) w.reject(new Error('parse pool closed'));
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}
