import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { joinRaw, parseMessage, runParseJob, type ParsedMessage, type ParseJob, type ParseOptions } from './parse.js';

/**
 * Parses small messages in-process and large ones on worker threads, so a 5 MB message never blocks
 * the event loop. "Large" is what the decoder has to read: attachment bodies it skips (see
 * `planParse`) do not count, so most messages with big attachments parse in-process.
 */
export interface ParsePool {
  parse(raw: Buffer | readonly Buffer[], options?: ParseOptions): Promise<ParsedMessage>;
  /** How many parses went to a worker (for tests and metrics). */
  readonly offloaded: number;
  close(): Promise<void>;
}

export interface ParsePoolOptions {
  /** Decoder input at or above this many bytes goes to a worker. */
  thresholdBytes?: number;
  workers?: number;
  /** Overrides the worker script (tests). */
  workerUrl?: URL;
}

export const DEFAULT_OFFLOAD_BYTES = 1024 * 1024;

/** The compiled worker next to this module; when running from TypeScript sources (tests), the one in dist/. */
function defaultWorkerUrl(): URL {
  const here = new URL('./parse-worker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(here))) return here;
  return new URL(here.href.replace(/\/src\/mail\/mime\//, '/dist/mail/mime/'));
}

interface Pending {
  resolve(p: ParsedMessage): void;
  reject(e: Error): void;
}

/** One worker; it parses one message at a time. */
interface Slot {
  worker: Worker;
  busy: boolean;
  current: Pending | null;
}

export function createParsePool(options: ParsePoolOptions = {}): ParsePool {
  const threshold = options.thresholdBytes ?? DEFAULT_OFFLOAD_BYTES;
  const size = Math.max(1, options.workers ?? 1);
  const slots: Slot[] = [];
  const queue: Array<() => void> = [];
  let offloaded = 0;
  let closed = false;

  const spawn = (): Slot => {
    const worker = new Worker(options.workerUrl ?? defaultWorkerUrl());
    worker.unref();
    const slot: Slot = { worker, busy: false, current: null };
    worker.on('message', (msg: { parsed?: ParsedMessage; error?: string }) => {
      const p = slot.current;
      slot.current = null;
      if (msg.parsed) p?.resolve(msg.parsed);
      else p?.reject(new Error(`parse worker failed (${msg.error ?? 'unknown'})`));
    });
    worker.on('error', (err) => {
      // A crashed worker fails the message it held; a new worker takes its place on the next request.
      slot.current?.reject(err);
      slot.current = null;
      if (slots.includes(slot)) slots.splice(slots.indexOf(slot), 1);
    });
    slots.push(slot);
    return slot;
  };

  const acquire = async (): Promise<Slot> => {
    for (;;) {
      const free = slots.find((s) => !s.busy) ?? (slots.length < size ? spawn() : undefined);
      if (free) {
        free.busy = true;
        free.worker.ref();
        return free;
      }
      await new Promise<void>((resolve) => queue.push(resolve));
    }
  };

  const release = (slot: Slot) => {
    slot.busy = false;
    slot.worker.unref();
    queue.shift()?.();
  };

  return {
    get offloaded() {
      return offloaded;
    },
    async parse(raw, parseOptions = {}) {
      return parseMessage(joinRaw(raw), parseOptions, async (job) => {
        if (job.decodable.byteLength < threshold || closed) return runParseJob(job);
        offloaded++;
        const slot = await acquire();
        try {
          return await new Promise<ParsedMessage>((resolve, reject) => {
            slot.current = { resolve, reject };
            // Copied, not transferred: the caller keeps the raw source to store it.
            slot.worker.postMessage({ job } satisfies { job: ParseJob });
          });
        } finally {
          release(slot);
        }
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}
