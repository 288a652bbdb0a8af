import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, importSPKI, type CryptoKey } from 'jose';
import { setting } from './config.js';
import { fromRoot } from './paths.js';

export interface SigningKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicPem: string;
  /** Where the key came from, for messages: an environment variable or the dev key file. */
  origin: string;
}

const keysDir = () => setting('SOCFLOW_KEYS_DIR') ?? fromRoot('.stack/keys');

/**
 * An RS256 key pair by purpose ('api-jwt', 'attestation'): from SOCFLOW_<PURPOSE>_PRIVATE_KEY /
 * _PUBLIC_KEY (PEM) when set — production — else a development key generated on first use into the
 * git-ignored keys dir (owner-only), never committed.
 */
export async function signingKeyPair(purpose: string): Promise<SigningKeyPair> {
  const envName = `SOCFLOW_${purpose.toUpperCase().replace(/-/g, '_')}_PRIVATE_KEY`;
  const fromEnv = setting(envName);
  if (fromEnv) {
    const publicPem = setting(envName.replace('PRIVATE', 'PUBLIC'));
    if (!publicPem) throw new Error(`${envName} is set but ${envName.replace('PRIVATE', 'PUBLIC')} is not`);
    return { privateKey: await importPKCS8(fromEnv, 'RS256'), publicKey: await importSPKI(publicPem, 'RS256'), publicPem, origin: envName };
  }
  const dir = keysDir();
  const privateFile = join(dir, `${purpose}.private.pem`);
  const publicFile = join(dir, `${purpose}.public.pem`);
  if (!existsSync(privateFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    writeFileSync(privateFile, await exportPKCS8(pair.privateKey), { mode: 0o600 });
    writeFileSync(publicFile, await exportSPKI(pair.publicKey), { mode: 0o644 });
    chmodSync(privateFile, 0o600);
  }
  const publicPem = readFileSync(publicFile, 'utf8');
  return {
    privateKey: await importPKCS8(readFileSync(privateFile, 'utf8'), 'RS256'),
    publicKey: await importSPKI(publicPem, 'RS256'),
    publicPem,
    origin: privateFile,
  };
}

/** The verifying key alone: SOCFLOW_<PURPOSE>_PUBLIC_KEY, else the dev key pair's public half. */
export async function verifyingKey(purpose: string): Promise<CryptoKey> {
  const pem = setting(`SOCFLOW_${purpose.toUpperCase().replace(/-/g, '_')}_PUBLIC_KEY`);
  return pem ? importSPKI(pem, 'RS256') : (await signingKeyPair(purpose)).publicKey;
}
