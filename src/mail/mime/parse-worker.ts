import { parentPort } from 'node:worker_threads';
import { parseMessage } from './parse.js';
import type { ParseAnswer, ParseRequest } from './parse-pool.js';

/** Worker side of the parse pool: parses the messages it is sent one at a time, in order. */
let queue = Promise.resolve();

async function answer(msg: ParseRequest): Promise<void> {
  try {
    const parsed = await parseMessage(Buffer.from(msg.raw.buffer, msg.raw.byteOffset, msg.raw.byteLength), msg.options);
    // Attachment bytes that own their whole buffer are moved, not copied, back to the caller.
    const transfer = parsed.attachments
      .flatMap((a) => (a.content && a.content.byteOffset === 0 && a.content.byteLength === a.content.buffer.byteLength ? [a.content.buffer as ArrayBuffer] : []))
      .filter((b, i, all) => all.indexOf(b) === i);
    parentPort!.postMessage({ id: msg.id, parsed } satisfies ParseAnswer, transfer);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).name } satisfies ParseAnswer);
  }
}

parentPort?.on('message', (msg: ParseRequest) => {
  queue = queue.then(() => answer(msg));
});
