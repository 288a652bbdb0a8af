import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from '../paths.js';
import { ConfigFileError } from '../data/validate.js';
import { type ModelManifest, parseManifest } from './manifest.js';

/**
 * The model registry on disk: models/registry/<name>/<version>/{manifest.json, <model_file>}. A name has
 * exactly one version whose manifest says stage: production; that is the one the pipeline serves. A model
 * file is only ever used after its sha256 matched the manifest's model_sha256, and the bytes that were
 * hashed are the bytes handed to the runtime (no second read between check and use).
 */

/** The registry is not usable for a name: no or several production versions, unreadable manifest. */
export class ModelRegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelRegistryError';
  }
}

/** The model file does not match its manifest (tampered, truncated, swapped): it is never loaded. */
export class ModelIntegrityError extends Error {
  constructor(
    message: string,
    readonly expectedSha256: string,
    readonly actualSha256: string | null,
  ) {
    super(message);
    this.name = 'ModelIntegrityError';
  }
}

export interface VersionEntry {
  version: string;
  dir: string;
  manifest: ModelManifest;
}

export interface LoadedModel {
  manifest: ModelManifest;
  /** name@version */
  ref: string;
  dir: string;
  /** The verified model bytes. */
  bytes: Buffer;
}

const display = (p: string): string => (relative(projectRoot, p).startsWith('..') ? p : relative(projectRoot, p));

/** Reads and validates every version's manifest of a model name (sorted by version folder name). */
export function listVersions(registryDir: string, name: string): VersionEntry[] {
  const base = join(registryDir, name);
  if (!existsSync(base) || !statSync(base).isDirectory()) {
    const known = existsSync(registryDir) ? readdirSync(registryDir).filter((d) => statSync(join(registryDir, d)).isDirectory()) : [];
    throw new ModelRegistryError(`model registry ${display(registryDir)}: no model named "${name}"${known.length ? ` (models: ${known.join(', ')})` : existsSync(registryDir) ? ' (the registry is empty)' : ' (the registry folder does not exist)'}`);
  }
  const versions: VersionEntry[] = [];
  for (const version of readdirSync(base).sort()) {
    const dir = join(base, version);
    if (!statSync(dir).isDirectory()) continue;
    const file = join(dir, 'manifest.json');
    if (!existsSync(file)) continue;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigFileError(display(file), '(syntax)', (err as Error).message.split('\n')[0]);
    }
    versions.push({ version, dir, manifest: parseManifest(display(file), json, { name, version }) });
  }
  return versions;
}

/** The one production version of a name; an error naming every version and stage otherwise. */
export function findProduction(registryDir: string, name: string): VersionEntry {
  const versions = listVersions(registryDir, name);
  const production = versions.filter((v) => v.manifest.stage === 'production');
  const all = versions.map((v) => `${v.version} (${v.manifest.stage})`).join(', ') || 'none';
  if (production.length === 0) throw new ModelRegistryError(`model registry ${display(registryDir)}: "${name}" has no production version (versions: ${all})`);
  if (production.length > 1) throw new ModelRegistryError(`model registry ${display(registryDir)}: "${name}" has ${production.length} production versions (${production.map((v) => v.version).join(', ')}); exactly one may be production`);
  return production[0];
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a version's model file and checks it against the manifest; refuses any mismatch. */
export function readVerifiedModel(entry: VersionEntry): LoadedModel {
  const { manifest, dir } = entry;
  const ref = `${manifest.name}@${manifest.version}`;
  const path = join(dir, manifest.model_file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ModelIntegrityError(`model ${ref}: cannot read model file ${display(path)}: ${(err as Error).message}`, manifest.model_sha256, null);
  }
  const actual = sha256(bytes);
  if (actual !== manifest.model_sha256) {
    throw new ModelIntegrityError(
      `model ${ref}: refusing ${display(path)}: its sha256 ${actual} does not match the manifest's model_sha256 ${manifest.model_sha256} (file tampered with, truncated or replaced)`,
      manifest.model_sha256,
      actual,
    );
  }
  return { manifest, ref, dir, bytes };
}

/** The verified production model of a name. */
export function loadProduction(registryDir: string, name: string): LoadedModel {
  return readVerifiedModel(findProduction(registryDir, name));
}
