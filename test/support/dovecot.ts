import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dovecotConfig, type DovecotProfile } from './dovecot-config.js';
import { createMailbox, type TestbedMailbox } from './dovecot-mailbox.js';

export { PROFILE_CAPABILITIES, type DovecotProfile } from './dovecot-config.js';

export interface TestUser {
  name: string;
  password: string;
  /** Maildir root of this user (INBOX; other folders are `.Name` inside). */
  maildir: string;
}

export interface Dovecot extends TestbedMailbox {
  host: '127.0.0.1';
  /** Cleartext IMAP; STARTTLS is offered. */
  port: number;
  /** Implicit TLS (IMAPS) with a self-signed certificate. */
  tlsPort: number;
  profile: DovecotProfile;
  /** PEM of the self-signed certificate (trust it, or pass rejectUnauthorized: false). */
  certPem: string;
  /** Its key, so a TLS-terminating proxy can present the same certificate. */
  keyPem: string;
  users: TestUser[];
  createUser(name: string, password?: string): TestUser;
  /** Master and every process it started, for leak checks. */
  processIds(): number[];
  stop(): Promise<void>;
}

/** Why the test bed cannot run here, or null when it can. */
export function dovecotMissing(): string | null {
  const r = spawnSync('dovecot', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'Dovecot is not installed (apt-get install dovecot-imapd)';
  if (!/^2\.3\./.test(r.stdout.trim())) return `Dovecot ${r.stdout.trim()} found; the test bed writes 2.3 configuration`;
  const ssl = spawnSync('openssl', ['version']);
  if (ssl.error || ssl.status !== 0) return 'openssl is not installed (needed for the test certificate)';
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function lookupId(file: string, name: string): number | null {
  const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  return line ? Number(line.split(':')[2]) : null;
}

/** Who runs what: as root, Dovecot's own users for its services and `nobody` for the mail files. */
function identities() {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) {
    const me = os.userInfo();
    return { internalUser: me.username, loginUser: me.username, mailUid: me.uid, mailGid: me.gid };
  }
  const internal = lookupId('/etc/passwd', 'dovecot') !== null ? 'dovecot' : 'nobody';
  const login = lookupId('/etc/passwd', 'dovenull') !== null ? 'dovenull' : 'nobody';
  const mailUid = lookupId('/etc/passwd', 'nobody') ?? 65534;
  const mailGid = lookupId('/etc/group', 'nogroup') ?? mailUid;
  return { internalUser: internal, loginUser: login, mailUid, mailGid };
}

function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // process ended while we looked
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

function comm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function waitGone(pids: number[], ms: number): Promise<void> {
  for (const until = Date.now() + ms; Date.now() < until && pids.some(alive); ) await new Promise((r) => setTimeout(r, 25));
}

async function waitForGreeting(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.setTimeout(1000, () => (s.destroy(), resolve(false)));
      s.on('error', () => resolve(false));
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('* OK'));
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('dovecot did not greet in time');
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts a private Dovecot on loopback; always `stop()` it (an exit hook kills it if a test crashes). */
export async function startDovecot(options: { profile?: DovecotProfile } = {}): Promise<Dovecot> {
  const missing = dovecotMissing();
  if (missing) throw new Error(missing);
  const profile = options.profile ?? 'full';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-dovecot-'));
  fs.chmodSync(dir, 0o755); // Dovecot's unprivileged processes must reach the users file and homes
  for (const d of ['run', 'state', 'home']) fs.mkdirSync(path.join(dir, d));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  fs.mkdirSync(path.join(dir, 'users'), { mode: 0o755 });
  const ids = identities();
  const dhFile = fs.existsSync('/usr/share/dovecot/dh.pem') ? '/usr/share/dovecot/dh.pem' : null;
  const instance = `mh-${process.pid}-${randomBytes(3).toString('hex')}`;

  let child: ChildProcess | null = null;
  let port = 0;
  let tlsPort = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    tlsPort = await freePort();
    fs.writeFileSync(path.join(dir, 'dovecot.conf'), dovecotConfig({
      dir, instance, port, tlsPort, profile, dhFile,
      internalUser: ids.internalUser, loginUser: ids.loginUser, firstValidUid: Math.min(ids.mailUid, 500),
    }));
    const c = spawn('dovecot', ['-F', '-c', path.join(dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr!.on('data', (d) => (stderr += d));
    try {
      await waitForGreeting(port, c, 15_000);
      child = c;
      break;
    } catch (err) {
      c.kill('SIGKILL');
      const log = fs.existsSync(path.join(dir, 'dovecot.log')) ? fs.readFileSync(path.join(dir, 'dovecot.log'), 'utf8') : '';
      // Another process may have taken a port between our probe and Dovecot's bind: try new ports.
      if (attempt < 3 && /in use/i.test(stderr + log)) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`Dovecot did not start: ${(err as Error).message}\n${stderr}\n${log.slice(-2000)}`);
    }
  }
  running.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }

  const users: TestUser[] = [];
  const confPath = path.join(dir, 'dovecot.conf');
  const createUser = (name: string, password = `pw-${name}`): TestUser => {
    if (!/^[a-z0-9._-]+$/i.test(name)) throw new Error('user names are [A-Za-z0-9._-]');
    const home = path.join(dir, 'home', name);
    const maildir = path.join(home, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(maildir, sub), { recursive: true });
    fs.chownSync(home, ids.mailUid, ids.mailGid);
    chownTree(maildir, ids.mailUid, ids.mailGid);
    // One passwd-file per user: Dovecot checks a known file for changes at most once a second, but
    // opens a file it has not seen yet at once, so a user created now can log in now.
    fs.writeFileSync(path.join(dir, 'users', name), `${name}:{PLAIN}${password}:${ids.mailUid}:${ids.mailGid}::${home}::\n`, { mode: 0o644 });
    const user = { name, password, maildir };
    users.push(user);
    return user;
  };

  const master = child;
  let stopped = false;
  const processIds = () => (stopped ? [] : [master.pid!, ...childrenOf(master.pid!)]);
  const mailbox = createMailbox({
    host: '127.0.0.1', port, tlsPort,
    doveadm: (args) => execFileSync('doveadm', ['-c', confPath, ...args], { encoding: 'utf8' }),
    chown: (p) => chownTree(p, ids.mailUid, ids.mailGid),
  });

  return {
    ...mailbox,
    host: '127.0.0.1', port, tlsPort, profile, users, createUser, processIds,
    certPem: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    keyPem: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
    async stop() {
      if (stopped) return;
      const pids = processIds();
      stopped = true;
      // Client-serving processes first, while the master is alive to reap them: an imap process
      // orphaned by the master's exit lingers for seconds and ends as a zombie.
      const serving = pids.slice(1).filter((pid) => /^imap/.test(comm(pid)));
      for (const pid of serving) signal(pid, 'SIGTERM');
      await waitGone(serving, 2000);
      const exited = new Promise<void>((resolve) => (master.exitCode !== null ? resolve() : master.once('exit', () => resolve())));
      master.kill('SIGTERM');
      await exited;
      running.delete(master);
      await waitGone(pids, 3000);
      for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function chownTree(p: string, uid: number, gid: number): void {
  if (process.getuid?.() !== 0) return;
  fs.lchownSync(p, uid, gid);
  if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e), uid, gid);
}
