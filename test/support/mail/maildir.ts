import fs from 'node:fs';
import path from 'node:path';
import { encodeMutf7 } from './mime-encoding.js';
import type { GeneratedMessage, ImapFlag, ManifestEntry } from './generator.js';

export interface MaildirEntry extends ManifestEntry {
  /** Path of the message file relative to the Maildir root. */
  file: string;
}

export interface Manifest {
  generator: Record<string, unknown>;
  messages: MaildirEntry[];
}

/** Maildir++ directory of an IMAP folder ("Archive/2024" → ".Archive.2024", non-ASCII in modified UTF-7). */
export function folderDir(root: string, folder: string): string {
  if (folder.toUpperCase() === 'INBOX') return root;
  return path.join(root, `.${folder.split('/').map(encodeMutf7).join('.')}`);
}

export function ensureFolder(root: string, folder: string): string {
  const dir = folderDir(root, folder);
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  if (dir !== root) fs.writeFileSync(path.join(dir, 'maildirfolder'), '');
  return dir;
}

const flagLetters: Record<ImapFlag, string> = { '\\Flagged': 'F', '\\Answered': 'R', '\\Seen': 'S' };

/** Maildir info suffix: letters in ASCII order, as the spec asks (":2,FRS"). */
export function infoSuffix(flags: readonly ImapFlag[]): string {
  return `:2,${flags.map((f) => flagLetters[f]).sort().join('')}`;
}

/** A deterministic Maildir file name; S= lets Dovecot skip stat-ing for the size. */
export function maildirFileName(m: Pick<GeneratedMessage, 'index' | 'dateMs' | 'size' | 'sha256'>): string {
  return `${Math.floor(m.dateMs / 1000)}.M${parseInt(m.sha256.slice(0, 5), 16) % 1_000_000}P4242Q${m.index}.mailgen,S=${m.size}`;
}

/** Writes messages straight into Maildir cur/ or new/ (mtime = Date, which Dovecot takes as INTERNALDATE). */
export function writeMaildir(root: string, messages: Iterable<GeneratedMessage>): MaildirEntry[] {
  const written: MaildirEntry[] = [];
  const ready = new Set<string>();
  for (const m of messages) {
    if (!ready.has(m.folder)) {
      ensureFolder(root, m.folder);
      ready.add(m.folder);
    }
    const base = maildirFileName(m);
    const rel = path.relative(root, path.join(folderDir(root, m.folder), m.inNew ? 'new' : 'cur', m.inNew ? base : `${base}${infoSuffix(m.flags)}`));
    const file = path.join(root, rel);
    fs.writeFileSync(file, m.source);
    fs.utimesSync(file, m.dateMs / 1000, m.dateMs / 1000);
    const { source: _source, inNew: _inNew, ...entry } = m;
    written.push({ ...entry, file: rel });
  }
  return written;
}

export function writeManifest(file: string, manifest: Manifest): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(manifest, null, 1)}\n`);
}

let rawCounter = 0;

/** Delivers one raw message (e.g. a hand-written .eml) into a folder; returns its relative path. */
export function deliverRaw(root: string, m: { folder: string; source: Buffer; flags?: readonly ImapFlag[]; dateMs?: number }): string {
  const dir = ensureFolder(root, m.folder);
  const dateMs = m.dateMs ?? Date.UTC(2024, 5, 1);
  const base = `${Math.floor(dateMs / 1000)}.M${++rawCounter}P${process.pid}Q${rawCounter}.raw,S=${m.source.length}`;
  const file = m.flags ? path.join(dir, 'cur', `${base}${infoSuffix(m.flags)}`) : path.join(dir, 'new', base);
  fs.writeFileSync(file, m.source);
  fs.utimesSync(file, dateMs / 1000, dateMs / 1000);
  return path.relative(root, file);
}
