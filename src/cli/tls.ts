import fs from 'node:fs';
import path from 'node:path';

export interface TlsFiles {
  key: Buffer;
  cert: Buffer;
  selfSigned: boolean;
}

/** The operator's certificate, or a self-signed one kept in DATA_DIR/tls so browsers see the same one each start. */
export async function loadOrCreateTls(dataDir: string, certPath?: string, keyPath?: string): Promise<TlsFiles> {
  if (certPath || keyPath) {
    if (!certPath || !keyPath) throw Object.assign(new Error('--cert and --key must be given together'), { code: 'TLS_CONFIG' });
    return { cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath), selfSigned: false };
  }
  const dir = path.join(dataDir, 'tls');
  const certFile = path.join(dir, 'self-signed.crt');
  const keyFile = path.join(dir, 'self-signed.key');
  if (!fs.existsSync(certFile) || !fs.existsSync(keyFile)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Loaded only when a certificate has to be generated.
    const { generate } = await import('selfsigned');
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      days: 825,
      extensions: [
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
      ],
    } as Parameters<typeof generate>[1]);
    fs.writeFileSync(keyFile, pems.private, { mode: 0o600 });
    fs.writeFileSync(certFile, pems.cert);
  }
  return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), selfSigned: true };
}
