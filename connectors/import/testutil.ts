/** Test helpers (imported by *.test.ts only). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseReport, type ParseResult } from './parse.js';
import type { Finding, FindingEvent } from './types.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A fixed fallback time (2024-01-02T03:04:05Z) so tests are reproducible. */
export const FALLBACK = Date.UTC(2024, 0, 2, 3, 4, 5);

export function fixture(rel: string): string {
  return readFileSync(FIXTURES + rel, 'utf8');
}

export function fixtureBytes(rel: string): Buffer {
  return readFileSync(FIXTURES + rel);
}

export function parseFixture(format: string, rel: string, assetOverride?: string): ParseResult {
  return parseReport(format, fixture(rel), { fallbackTime: FALLBACK, assetOverride });
}

export function findings(result: ParseResult): Finding[] {
  return (result.events as FindingEvent[]).map((e) => e.payload);
}

export function severityCounts(result: ParseResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings(result)) out[f.severity] = (out[f.severity] ?? 0) + 1;
  return out;
}
