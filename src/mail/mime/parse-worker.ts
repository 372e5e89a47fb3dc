import { parentPort } from 'node:worker_threads';
import { sealerFromKeys } from '../../crypto/sealer.js';
import { encodeBodySync } from './body-codec.js';
import { installConcatBlob } from './concat-blob.js';
import { parseMessage } from './parse.js';
import { ownsBuffer, type ParseAnswer, type ParseRequest } from './parse-pool.js';
import { sealParsed, type SealedParts } from './sealed-parse.js';

/** Worker side of the parse pool: parses the messages it is sent one at a time, in order. */
installConcatBlob();
let queue = Promise.resolve();

async function answer(msg: ParseRequest): Promise<void> {
  try {
    const { seal, ...options } = msg.options;
    const raw = Buffer.from(msg.raw.buffer, msg.raw.byteOffset, msg.raw.byteLength);
    let parsed = await parseMessage(raw, options);
    let bodies: { text: Buffer | null; html: Buffer | null } | undefined;
    if (options.encodeBodies || seal) {
      bodies = { text: encodeBodySync(parsed.text), html: encodeBodySync(parsed.html) };
      parsed = { ...parsed, text: null, html: null };
    }
    // Sealed here, the source stays here: only its sealed chunks go back.
    let sealed: SealedParts | undefined;
    if (seal && bodies) {
      sealed = sealParsed(sealerFromKeys(seal.keys), raw, parsed, bodies, seal);
      bodies = undefined;
    }
    // Bytes that own their whole buffer are moved, not copied: the source (when it goes back), attachments, bodies, chunks.
    const transfer: ArrayBuffer[] = sealed ? [] : [msg.raw.buffer as ArrayBuffer];
    const owned = [...parsed.attachments.map((a) => a.content), bodies?.text, bodies?.html, ...(sealed ? [...sealed.sourceChunks, sealed.text, sealed.html] : [])];
    for (const bytes of owned) {
      if (bytes && ownsBuffer(bytes) && !transfer.includes(bytes.buffer as ArrayBuffer)) transfer.push(bytes.buffer as ArrayBuffer);
    }
    parentPort!.postMessage({ id: msg.id, parsed, raw: sealed ? null : msg.raw, ...(bodies ? { bodies } : {}), ...(sealed ? { sealed } : {}) } satisfies ParseAnswer, transfer);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).name } satisfies ParseAnswer);
  }
}

parentPort?.on('message', (msg: ParseRequest) => {
  queue = queue.then(() => answer(msg));
});
