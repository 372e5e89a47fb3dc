import type { Security } from './imap/connect.js';

export interface ServerPreset {
  host: string;
  port: number;
  security: Security;
}

/** Server settings of common providers, so a user only types address and password. */
export interface ProviderPreset {
  id: string;
  name: string;
  imap: ServerPreset;
  smtp: ServerPreset;
  /** What the provider needs before IMAP works (app passwords, enabling IMAP, a bridge …). */
  note: string;
  /** The user name is the full e-mail address (true for all listed providers). */
  userIsEmail: boolean;
  /** Only reachable on this computer: needs ALLOW_PRIVATE_MAIL_HOSTS on the server running the app. */
  local?: boolean;
}

const tls = (host: string, port = 993): ServerPreset => ({ host, port, security: 'tls' });
const submission = (host: string): ServerPreset => ({ host, port: 587, security: 'starttls' });
const smtps = (host: string): ServerPreset => ({ host, port: 465, security: 'tls' });

export const presets: ProviderPreset[] = [
  {
    id: 'gmail',
    name: 'Gmail / Google Workspace',
    imap: tls('imap.gmail.com'),
    smtp: smtps('smtp.gmail.com'),
    note: 'Turn on 2-step verification and create an app password (Google account → Security → App passwords); the normal password does not work for IMAP.',
    userIsEmail: true,
  },
  {
    id: 'outlook',
    name: 'Outlook.com / Microsoft 365',
    imap: tls('outlook.office365.com'),
    smtp: submission('smtp.office365.com'),
    note: 'Microsoft is phasing out password sign-in for IMAP (OAuth only). Personal accounts may still work with an app password; Microsoft 365 admins must allow IMAP for the mailbox.',
    userIsEmail: true,
  },
  {
    id: 'gmx',
    name: 'GMX',
    imap: tls('imap.gmx.net'),
    smtp: submission('mail.gmx.net'),
    note: 'Enable "POP3/IMAP access" in the GMX web mail settings first; with two-factor sign-in use an app password.',
    userIsEmail: true,
  },
  {
    id: 'webde',
    name: 'WEB.DE',
    imap: tls('imap.web.de'),
    smtp: submission('smtp.web.de'),
    note: 'Enable "POP3/IMAP access" in the WEB.DE settings first; with two-factor sign-in use an app password.',
    userIsEmail: true,
  },
  {
    id: 'fastmail',
    name: 'Fastmail',
    imap: tls('imap.fastmail.com'),
    smtp: smtps('smtp.fastmail.com'),
    note: 'Create an app password with IMAP access (Settings → Privacy & Security → App passwords).',
    userIsEmail: true,
  },
  {
    id: 'icloud',
    name: 'iCloud Mail',
    imap: tls('imap.mail.me.com'),
    smtp: submission('smtp.mail.me.com'),
    note: 'Create an app-specific password at appleid.apple.com (two-factor authentication must be on).',
    userIsEmail: true,
  },
  {
    id: 'yahoo',
    name: 'Yahoo Mail',
    imap: tls('imap.mail.yahoo.com'),
    smtp: smtps('smtp.mail.yahoo.com'),
    note: 'Generate an app password in the Yahoo account security settings; the normal password is refused.',
    userIsEmail: true,
  },
  {
    id: 'posteo',
    name: 'Posteo',
    imap: tls('posteo.de'),
    smtp: submission('posteo.de'),
    note: 'Uses your normal Posteo password; with two-factor authentication enabled create an app password.',
    userIsEmail: true,
  },
  {
    id: 'mailboxorg',
    name: 'mailbox.org',
    imap: tls('imap.mailbox.org'),
    smtp: submission('smtp.mailbox.org'),
    note: 'Uses your mailbox.org password; with two-factor authentication use an app password for IMAP.',
    userIsEmail: true,
  },
  {
    id: 'proton-bridge',
    name: 'Proton Mail (Bridge)',
    imap: { host: '127.0.0.1', port: 1143, security: 'starttls' },
    smtp: { host: '127.0.0.1', port: 1025, security: 'starttls' },
    note: 'Proton has no direct IMAP: run Proton Mail Bridge on the machine that runs this app, use the user name and password the Bridge shows, and pin the Bridge certificate after the first connection test (it is self-signed). Loopback needs ALLOW_PRIVATE_MAIL_HOSTS=1.',
    userIsEmail: true,
    local: true,
  },
];

export function findPreset(id: string): ProviderPreset | undefined {
  return presets.find((p) => p.id === id);
}
