import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { createSplitter, parseCommandLine, type Segment } from './imap-stream.js';

/**
 * Loopback proxy between an IMAP client and the test Dovecot. It counts client commands per
 * connection and injects faults on demand.
 *
 * Modes: cleartext in and out (point it at Dovecot's `port`, client with doSTARTTLS: false), or TLS
 * in and out (`listenTls` + `upstream.tls`, point it at `tlsPort`): the proxy terminates TLS on both
 * sides, so it still reads the conversation. STARTTLS through a cleartext proxy is passed on, but
 * after the server's OK the connection is opaque: no more counting and no faults on it.
 */
export interface ProxyOptions {
  upstream: { host: string; port: number; tls?: boolean };
  listenTls?: { key: string; cert: string };
}

export interface ProxyConnection {
  id: number;
  /** Command counts by name ("SELECT", "UID FETCH", …); literal data, IDLE's DONE and SASL lines are not commands. */
  commands: Record<string, number>;
  /** Command names in the order sent. */
  log: string[];
  bytesToClient: number;
  bytesToServer: number;
  opaque: boolean;
  closed: boolean;
}

export type FaultEvent = { type: 'reject' | 'drop' | 'stall'; connection: number; command?: string; mailbox?: string };

export interface ProxyFaults {
  /** Answer SELECT/EXAMINE of one mailbox with NO (the server sees a SELECT of a missing mailbox, so it deselects too). */
  rejectSelect(mailbox: string, options?: { response?: string; times?: number }): void;
  /** Answer the next `times` commands of this name with a throttling NO, without passing them on. */
  throttle(command: string, options?: { response?: string; times?: number }): void;
  /** Close the connection once `bytes` more bytes went to the client: counted from the next `afterCommand`, or from the start of the next connection. */
  dropAfterBytes(bytes: number, options?: { afterCommand?: string }): void;
  /** Hold all server output after the next `afterCommand` (or any command) for `ms`, or until the client gives up. */
  stall(options?: { afterCommand?: string; ms?: number }): void;
  clear(): void;
}

export interface ImapProxy {
  host: string;
  port: number;
  connections: ProxyConnection[];
  /** Commands of this name over all connections since the last reset. */
  count(name: string): number;
  totals(): Record<string, number>;
  /** Forget connections, counts and fired faults; a still-open connection reappears with a fresh record on its next activity. */
  reset(): void;
  faults: ProxyFaults;
  fired: FaultEvent[];
  close(): Promise<void>;
}

type Rule =
  | { type: 'reject'; commands: string[]; mailbox?: string; response: string; times: number }
  | { type: 'drop'; bytes: number; afterCommand?: string }
  | { type: 'stall'; afterCommand?: string; ms?: number };

export async function startImapProxy(options: ProxyOptions): Promise<ImapProxy> {
  let rules: Rule[] = [];
  const fired: FaultEvent[] = [];
  let connections: ProxyConnection[] = [];
  const sockets = new Set<net.Socket>();
  let nextId = 1;
  let epoch = 0;

  const takeRule = <T extends Rule['type']>(type: T, match: (r: Extract<Rule, { type: T }>) => boolean) => {
    const rule = rules.find((r): r is Extract<Rule, { type: T }> => r.type === type && match(r as Extract<Rule, { type: T }>));
    if (!rule) return null;
    const r: Rule = rule;
    if (r.type !== 'reject' || --r.times <= 0) rules = rules.filter((x) => x !== r);
    return rule;
  };

  const onConnection = (client: net.Socket) => {
    const id = nextId++;
    let conn: ProxyConnection = { id, commands: {}, log: [], bytesToClient: 0, bytesToServer: 0, opaque: false, closed: false };
    let connEpoch = epoch;
    connections.push(conn);
    // After reset() the connection counts into a new record (byte offsets restart at 0).
    const current = () => {
      if (connEpoch !== epoch) {
        connEpoch = epoch;
        if (dropAt !== null) dropAt -= conn.bytesToClient;
        conn = { ...conn, commands: {}, log: [], bytesToClient: 0, bytesToServer: 0 };
        connections.push(conn);
      }
      return conn;
    };
    const upstream = options.upstream.tls
      ? tls.connect({ host: options.upstream.host, port: options.upstream.port, rejectUnauthorized: false })
      : net.connect(options.upstream.port, options.upstream.host);
    sockets.add(client).add(upstream);
    // Forwarded pieces must not wait for delayed ACKs (Nagle): the proxy should add no latency of its own.
    client.setNoDelay(true);
    upstream.setNoDelay(true);

    let dropAt: number | null = null;
    const startDrop = takeRule('drop', (r) => r.afterCommand === undefined);
    if (startDrop) dropAt = startDrop.bytes;
    let stalled = false;
    const held: Buffer[] = [];
    const localReplies: Buffer[] = [];
    let continuationTag: string | null = null; // IDLE / AUTHENTICATE in progress
    let starttlsTag: string | null = null;
    const replaceTagged = new Map<string, string>();

    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      conn.closed = true;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);

    let cut = false;
    const toClient = (buf: Buffer) => {
      if (ended || cut) return;
      if (stalled) {
        held.push(buf);
        return;
      }
      if (dropAt !== null && conn.bytesToClient + buf.length >= dropAt) {
        const keep = dropAt - conn.bytesToClient;
        conn.bytesToClient += keep;
        fired.push({ type: 'drop', connection: conn.id });
        cut = true; // nothing more reaches the client, even while the partial write flushes
        upstream.destroy();
        client.write(buf.subarray(0, keep), () => end());
        dropAt = null;
        return;
      }
      conn.bytesToClient += buf.length;
      client.write(buf);
    };

    const serverSplitter = createSplitter((seg: Segment) => {
      let out = seg.data;
      if (seg.kind === 'line' && !seg.continuation) {
        const m = /^([^\s*+]+) (OK|NO|BAD)\b/i.exec(seg.data.toString('latin1', 0, Math.min(seg.data.length, 200)));
        if (m) {
          const tag = m[1]!;
          if (tag === continuationTag) continuationTag = null;
          const replacement = replaceTagged.get(tag);
          if (replacement !== undefined) {
            replaceTagged.delete(tag);
            out = Buffer.from(`${tag} ${replacement}\r\n`);
          }
          if (tag === starttlsTag && m[2]!.toUpperCase() === 'OK') conn.opaque = true;
        }
      }
      toClient(out);
      if (serverSplitter.atBoundary()) for (const r of localReplies.splice(0)) toClient(r);
    });

    const replyLocally = (line: string) => {
      const buf = Buffer.from(`${line}\r\n`);
      if (serverSplitter.atBoundary()) toClient(buf);
      else localReplies.push(buf);
    };

    const onCommand = (seg: Extract<Segment, { kind: 'line' }>): Buffer | null => {
      const cmd = parseCommandLine(seg.data);
      if (!cmd) return seg.data;
      conn.commands[cmd.name] = (conn.commands[cmd.name] ?? 0) + 1;
      conn.log.push(cmd.name);
      if (cmd.name === 'IDLE' || cmd.name === 'AUTHENTICATE') continuationTag = cmd.tag;
      if (cmd.name === 'STARTTLS') starttlsTag = cmd.tag;
      const isSelect = cmd.name === 'SELECT' || cmd.name === 'EXAMINE';
      const reject = seg.literal === null
        ? takeRule('reject', (r) => r.commands.includes(cmd.name) && (r.mailbox === undefined || sameMailbox(r.mailbox, cmd.firstArg)))
        : null;
      if (reject) {
        fired.push({ type: 'reject', connection: conn.id, command: cmd.name, ...(isSelect ? { mailbox: cmd.firstArg ?? '' } : {}) });
        if (!isSelect) {
          replyLocally(`${cmd.tag} ${reject.response}`);
          return null;
        }
        replaceTagged.set(cmd.tag, reject.response);
        return Buffer.from(`${cmd.tag} ${cmd.name} "mh-proxy-refused-${randomBytes(4).toString('hex')}"\r\n`);
      }
      const drop = takeRule('drop', (r) => r.afterCommand !== undefined && r.afterCommand.toUpperCase() === cmd.name);
      if (drop) dropAt = conn.bytesToClient + drop.bytes;
      const stall = takeRule('stall', (r) => r.afterCommand === undefined || r.afterCommand.toUpperCase() === cmd.name);
      if (stall) {
        stalled = true;
        fired.push({ type: 'stall', connection: conn.id, command: cmd.name });
        if (stall.ms !== undefined) {
          setTimeout(() => {
            stalled = false;
            for (const b of held.splice(0)) toClient(b);
          }, stall.ms).unref();
        }
      }
      return seg.data;
    };

    const clientSplitter = createSplitter((seg) => {
      let out: Buffer | null = seg.data;
      if (seg.kind === 'line' && !seg.continuation && continuationTag === null) out = onCommand(seg);
      if (out) {
        conn.bytesToServer += out.length;
        upstream.write(out);
      }
    });

    client.on('data', (chunk: Buffer) => {
      current();
      if (conn.opaque) {
        conn.bytesToServer += chunk.length;
        upstream.write(chunk);
      } else clientSplitter.push(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      current();
      if (conn.opaque) toClient(chunk);
      else serverSplitter.push(chunk);
    });
  };

  const server = options.listenTls ? tls.createServer(options.listenTls, onConnection) : net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;

  const totals = () => {
    const t: Record<string, number> = {};
    for (const c of connections) for (const [k, v] of Object.entries(c.commands)) t[k] = (t[k] ?? 0) + v;
    return t;
  };

  return {
    host: '127.0.0.1',
    port,
    get connections() {
      return connections;
    },
    count: (name) => totals()[name.toUpperCase()] ?? 0,
    totals,
    reset() {
      epoch++;
      connections = [];
      fired.length = 0;
    },
    fired,
    faults: {
      rejectSelect: (mailbox, o = {}) =>
        rules.push({ type: 'reject', commands: ['SELECT', 'EXAMINE'], mailbox, response: o.response ?? 'NO [UNAVAILABLE] Mailbox is temporarily unavailable', times: o.times ?? Infinity }),
      throttle: (command, o = {}) =>
        rules.push({ type: 'reject', commands: [command.toUpperCase()], response: o.response ?? 'NO [THROTTLED] Too many commands, slow down', times: o.times ?? 1 }),
      dropAfterBytes: (bytes, o = {}) => rules.push({ type: 'drop', bytes, afterCommand: o.afterCommand }),
      stall: (o = {}) => rules.push({ type: 'stall', afterCommand: o.afterCommand, ms: o.ms }),
      clear: () => {
        rules = [];
      },
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sameMailbox(wanted: string, sent: string | null): boolean {
  if (sent === null) return false;
  return wanted.toUpperCase() === 'INBOX' ? sent.toUpperCase() === 'INBOX' : wanted === sent;
}
