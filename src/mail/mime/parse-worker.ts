import { parentPort } from 'node:worker_threads';
import { encodeBodySync } from './body-codec.js';
import { installConcatBlob } from './concat-blob.js';
import { parseMessage } from './parse.js';
import { ownsBuffer, type ParseAnswer, type ParseRequest } from './parse-pool.js';

/** Worker side of the parse pool: parses the messages it is sent one at a time, in order. */
installConcatBlob();
let queue = Promise.resolve();

async function answer(msg: ParseRequest): Promise<void> {
  try {
    let parsed = await parseMessage(Buffer.from(msg.raw.buffer, msg.raw.byteOffset, msg.raw.byteLength), msg.options);
    let bodies: { text: Buffer | null; html: Buffer | null } | undefined;
    if (msg.options.encodeBodies) {
      bodies = { text: encodeBodySync(parsed.text), html: encodeBodySync(parsed.html) };
      parsed = { ...parsed, text: null, html: null };
    }
    // The source goes back, with attachment and body bytes that own their whole buffer: moved, not copied.
    const transfer = [msg.raw.buffer as ArrayBuffer];
    for (const bytes of [...parsed.attachments.map((a) => a.content), bodies?.text, bodies?.html]) {
      if (bytes && ownsBuffer(bytes) && !transfer.includes(bytes.buffer as ArrayBuffer)) transfer.push(bytes.buffer as ArrayBuffer);
    }
    parentPort!.postMessage({ id: msg.id, parsed, raw: msg.raw, ...(bodies ? { bodies } : {}) } satisfies ParseAnswer, transfer);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).name } satisfies ParseAnswer);
  }
}

parentPort?.on('message', (msg: ParseRequest) => {
  queue = queue.then(() => answer(msg));
});
