import { parentPort } from 'node:worker_threads';
import { parseMessage, type ParseOptions } from './parse.js';

/** Worker side of the parse pool: one request at a time, answers with the parsed message. */
parentPort?.on('message', (msg: { raw: Uint8Array; options: ParseOptions }) => {
  parseMessage(msg.raw, msg.options).then(
    (parsed) => {
      // Attachment bytes that own their whole buffer are moved, not copied, back to the caller.
      const transfer = parsed.attachments
        .filter((a) => a.content.byteOffset === 0 && a.content.byteLength === a.content.buffer.byteLength)
        .map((a) => a.content.buffer as ArrayBuffer)
        .filter((b, i, all) => all.indexOf(b) === i);
      parentPort!.postMessage({ parsed }, transfer);
    },
    (err: Error) => parentPort!.postMessage({ error: err.name }),
  );
});
