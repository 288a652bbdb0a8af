import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from source (vitest) or from dist/. */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'socflow') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('socflow: cannot find the project root (package.json named socflow)');
    dir = parent;
  }
}

export const projectRoot = findProjectRoot();
export const fromRoot = (...parts: string[]): string => resolve(projectRoot, ...parts);
