import { parentPort } from 'node:worker_threads';
import { runParseJob, type ParseJob } from './parse.js';

/** Worker side of the parse pool: one request at a time, answers with the decoded message. */
parentPort?.on('message', (msg: { job: ParseJob }) => {
  runParseJob(msg.job).then(
    (parsed) => {
      // Attachment bytes that own their whole buffer are moved, not copied, back to the caller.
      const transfer = parsed.attachments
        .flatMap((a) => (a.content && a.content.byteOffset === 0 && a.content.byteLength === a.content.buffer.byteLength ? [a.content.buffer as ArrayBuffer] : []))
        .filter((b, i, all) => all.indexOf(b) === i);
      parentPort!.postMessage({ parsed }, transfer);
    },
    (err: Error) => parentPort!.postMessage({ error: err.name }),
  );
});
