import { existsSync } from 'node:fs';
import { readYaml } from '../../lib/data/yaml.js';
import { fromRoot } from '../../lib/paths.js';
import { REQUIRED_CATEGORIES } from './policy.js';

export const DEFAULT_REMEDIATION_FILE = fromRoot('processors/onnx-score/remediation.yaml');

/** Remediation text by alert category; `text(category)` falls back to the `default` entry. */
export interface RemediationCatalogue {
  entries: Record<string, string>;
  text(category: string): string;
}

/**
 * Reads and validates the catalogue: a mapping of category → non-empty text that covers every category in
 * `required` (the model heuristic's, the rules', and `default`). A missing one is a precise error naming it.
 */
export function loadRemediation(path = DEFAULT_REMEDIATION_FILE, required: readonly string[] = REQUIRED_CATEGORIES): RemediationCatalogue {
  const r = readYaml(path);
  if (!r.present()) r.fail('must be a mapping of alert category to remediation text');
  const entries: Record<string, string> = {};
  for (const [category, text] of r.entries()) {
    if (!/^[a-z][a-z0-9_]*$/.test(category)) text.fail(`category "${category}" must be lower_snake_case`);
    entries[category] = text.string({ max: 2000 }).trim();
  }
  const missing = required.filter((c) => !(c in entries));
  if (missing.length) {
    r.at(missing[0]).fail(
      `missing remediation text for ${missing.length === 1 ? 'category' : 'categories'} ${missing.map((c) => `"${c}"`).join(', ')} (every category the model heuristic or the rules can produce needs an entry; required: ${required.join(', ')})`,
    );
  }
  return { entries, text: (category) => entries[category] ?? entries.default };
}

/**
 * Categories the correlation rules can put on a signal: every `category` value anywhere in the rules file
 * (processors/correlate/rules.yaml, or CORRELATE_RULES as correlate reads it). Read as plain YAML, so this
 * stage does not depend on correlate's code; an absent file contributes nothing.
 */
export function ruleCategories(path: string): string[] {
  if (!existsSync(path)) return [];
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'category' && typeof x === 'string') found.add(x);
        else walk(x);
      }
    }
  };
  walk(readYaml(path).value);
  return [...found].sort();
}
