/**
 * Test helper: a self-signed certificate for 127.0.0.1 and localhost, made at test time with the
 * `openssl` command (Debian's openssl package; no certificate is checked in).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
}

let made: TestCertificate | undefined;

/** A fresh RSA-2048 certificate valid for one day, made once per process. */
export function testCertificate(): TestCertificate {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), 'statesocket-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyPath, '-out', certPath,
  ], { stdio: 'ignore' });
  made = { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
  return made;
}
