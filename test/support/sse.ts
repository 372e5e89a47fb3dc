import http from 'node:http';

export interface SseEvent {
  event: string;
  data: any;
}

/** A minimal EventSource for tests: collects parsed events and heartbeat comments. */
export function openEventStream(url: string, headers: Record<string, string>) {
  const events: SseEvent[] = [];
  let heartbeats = 0;
  let status = 0;
  let buffer = '';
  let req: http.ClientRequest;
  const ready = new Promise<void>((resolve, reject) => {
    req = http.get(url, { headers }, (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) heartbeats++;
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      });
      resolve();
    });
    req.on('error', reject);
  });
  return {
    ready,
    events,
    status: () => status,
    heartbeats: () => heartbeats,
    close: () => req.destroy(),
  };
}
