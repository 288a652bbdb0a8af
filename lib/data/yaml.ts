import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../paths.js';
import { ConfigFileError, type Reader, reader } from './validate.js';

/** Parses a YAML data file and hands back a Reader whose errors name the file (relative to the repo). */
export function readYaml(path: string): Reader {
  const name = relative(projectRoot, path).startsWith('..') ? path : relative(projectRoot, path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigFileError(name, '(file)', `cannot read: ${(err as Error).message}`);
  }
  try {
    return reader(name, parse(text, { maxAliasCount: 100 }));
  } catch (err) {
    throw new ConfigFileError(name, '(syntax)', (err as Error).message.split('\n')[0]);
  }
}
