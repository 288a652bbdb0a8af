import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readYaml } from '../lib/data/yaml.js';
import { ConfigFileError, type Reader } from '../lib/data/validate.js';
import { projectRoot } from '../lib/paths.js';
import { NSLKDD_CATEGORY } from './nslkdd.js';

/**
 * A purple-team scenario as data (exercises/scenarios/*.yaml): what the red side does to one entity, how it
 * is paced, and what the blue side is expected to detect by when. Validated at load; every error names the file
 * and the path of the value (`exercises/scenarios/x.yaml: telemetry[0].attack: ...`).
 */
export interface Scenario {
  id: string;
  name: string;
  description: string;
  /** MITRE ATT&CK technique ids (T1046, T1110.001, ...). */
  techniques: string[];
  target: { agent_id: string; host: string };
  telemetry: Telemetry[];
  pacing: Pacing;
  expect: { category: string | null; deadline_ms: number };
  evasive: boolean;
  /** Where it was loaded from (relative to the repository). */
  file: string;
}

export interface Pacing {
  /** Events per second of streamed telemetry (connections, metric samples). */
  rate_per_s: number;
  /** Span of the red activity (ms). */
  duration_ms: number;
  /** Each event time moves by a uniform ±jitter_ms (seeded by the scenario id: deterministic). */
  jitter_ms: number;
}

export type Telemetry = NslKddTelemetry | AuthBurstTelemetry | MetricSpikeTelemetry | FindingTelemetry;

export interface NslKddTelemetry {
  kind: 'nslkdd';
  /** NSL-KDD label of the rows replayed (exercises/data/nslkdd.csv). */
  attack: string;
  /** dataset: send the row's precomputed traffic features; computed: leave them to the correlate stage. */
  traffic: 'dataset' | 'computed';
  source_ip: string;
}

export interface AuthBurstTelemetry {
  kind: 'auth_burst';
  user: string;
  source_ip: string;
  failures: number;
  /** Between two attempts (default: pacing.duration_ms / failures). */
  interval_ms: number | null;
  /** A successful login after the failures. */
  then_success: boolean;
  method: string;
}

export interface MetricSpikeTelemetry {
  kind: 'metric_spike';
  metric: string;
  /** Normal value; samples before the spike (the warm-up, not red) and during it are around it. */
  baseline: number;
  /** Spike value = baseline × factor. */
  factor: number;
  /** How long the spike lasts (default pacing.duration_ms). */
  duration_ms: number | null;
  /** Samples of normal behaviour sent before the spike so the detector has a baseline. */
  warmup_samples: number;
}

export interface FindingTelemetry {
  kind: 'finding';
  scanner: string;
  rule: string;
  title: string;
  severity: 'critical' | 'high' | 'medium' | 'low' | 'info';
  /** Asset the finding is on (default: target host). */
  asset: string;
  package: string | null;
}

export const TELEMETRY_KINDS = ['nslkdd', 'auth_burst', 'metric_spike', 'finding'] as const;
const ID = /^[a-z0-9][a-z0-9._-]{0,79}$/;
const TECHNIQUE = /^T\d{4}(\.\d{3})?$/;
const ENTITY = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const CATEGORY = /^[a-z][a-z0-9_]{0,63}$/;
/** The purple stage's bound (processors/purple DEFAULT_PURPLE_CONFIG.maxDeadlineMs). */
export const MAX_DEADLINE_MS = 3_600_000;
/** A scenario is a short, bounded run. */
export const MAX_DURATION_MS = 3_600_000;
const MAX_EVENTS = 5000;

export function parseScenario(r: Reader): Scenario {
  r.object(['id', 'name', 'description', 'techniques', 'target', 'telemetry', 'pacing', 'expect', 'evasive']);
  const id = r.at('id').string({ pattern: ID });
  const techniques = r.at('techniques').list().map((t) => t.string({ pattern: TECHNIQUE }));
  if (!techniques.length) r.at('techniques').fail('must name at least one MITRE ATT&CK technique id');
  const target = r.at('target').object(['agent_id', 'host']);
  const pacing = r.at('pacing').object(['rate_per_s', 'duration_ms', 'jitter_ms']);
  const scenario: Scenario = {
    id,
    name: r.at('name').string({ max: 200 }),
    description: r.at('description').optional((x) => x.string({ max: 2000 }), ''),
    techniques,
    target: { agent_id: target.at('agent_id').string({ pattern: ENTITY }), host: target.at('host').string({ pattern: ENTITY }) },
    telemetry: [],
    pacing: {
      rate_per_s: pacing.at('rate_per_s').number({ min: 0.001, max: 1000 }),
      duration_ms: pacing.at('duration_ms').number({ min: 0, max: MAX_DURATION_MS, integer: true }),
      jitter_ms: pacing.at('jitter_ms').optional((x) => x.number({ min: 0, max: 60_000, integer: true }), 0),
    },
    expect: { category: null, deadline_ms: 0 },
    evasive: r.at('evasive').optional((x) => x.boolean(), false),
    file: r.file,
  };
  const expect = r.at('expect').object(['category', 'deadline_ms']);
  const category = expect.at('category').string({ pattern: CATEGORY });
  scenario.expect = { category: category === 'any' ? null : category, deadline_ms: expect.at('deadline_ms').number({ min: 1000, max: MAX_DEADLINE_MS, integer: true }) };
  const items = r.at('telemetry').list();
  if (!items.length) r.at('telemetry').fail('must list at least one telemetry item');
  scenario.telemetry = items.map((t) => parseTelemetry(t, scenario));
  const planned = plannedEvents(scenario);
  if (planned > MAX_EVENTS) r.at('pacing').fail(`would send ${planned} events (rate_per_s × duration_ms); at most ${MAX_EVENTS} per scenario`);
  return scenario;
}

function parseTelemetry(t: Reader, s: Scenario): Telemetry {
  const kind = t.at('kind').string({ oneOf: TELEMETRY_KINDS });
  switch (kind) {
    case 'nslkdd': {
      t.object(['kind', 'attack', 'traffic', 'source_ip']);
      const attack = t.at('attack').string();
      if (!(attack in NSLKDD_CATEGORY)) t.at('attack').fail(`"${attack}" is not among the NSL-KDD rows of exercises/data/nslkdd.csv (${Object.keys(NSLKDD_CATEGORY).join(', ')})`);
      return {
        kind,
        attack,
        traffic: t.at('traffic').optional((x) => x.string({ oneOf: ['dataset', 'computed'] }) as 'dataset' | 'computed', 'dataset'),
        source_ip: t.at('source_ip').optional((x) => x.string({ pattern: IPV4 }), '203.0.113.66'),
      };
    }
    case 'auth_burst': {
      t.object(['kind', 'user', 'source_ip', 'failures', 'interval_ms', 'then_success', 'method']);
      return {
        kind,
        user: t.at('user').string({ max: 128 }),
        source_ip: t.at('source_ip').string({ pattern: IPV4 }),
        failures: t.at('failures').number({ min: 1, max: 1000, integer: true }),
        interval_ms: t.at('interval_ms').optional((x) => x.number({ min: 1, max: 600_000, integer: true }), null),
        then_success: t.at('then_success').optional((x) => x.boolean(), false),
        method: t.at('method').optional((x) => x.string({ max: 32 }), 'password'),
      };
    }
    case 'metric_spike': {
      t.object(['kind', 'agent', 'metric', 'baseline', 'factor', 'duration_ms', 'warmup_samples']);
      if (t.at('agent').present() && t.at('agent').string() !== s.target.agent_id) t.at('agent').fail(`must be the target agent "${s.target.agent_id}" (results are joined per target entity)`);
      return {
        kind,
        metric: t.at('metric').string({ pattern: /^[a-z][a-z0-9_.]{0,63}$/ }),
        baseline: t.at('baseline').number({ min: 0.001 }),
        factor: t.at('factor').number({ min: 0, max: 1e6 }),
        duration_ms: t.at('duration_ms').optional((x) => x.number({ min: 1000, max: MAX_DURATION_MS, integer: true }), null),
        warmup_samples: t.at('warmup_samples').optional((x) => x.number({ min: 0, max: 1000, integer: true }), 20),
      };
    }
    case 'finding': {
      t.object(['kind', 'scanner', 'rule', 'title', 'severity', 'asset', 'package']);
      return {
        kind,
        scanner: t.at('scanner').string({ pattern: /^[a-z0-9_-]{1,40}$/ }),
        rule: t.at('rule').string({ max: 200 }),
        title: t.at('title').optional((x) => x.string({ max: 300 }), ''),
        severity: t.at('severity').string({ oneOf: ['critical', 'high', 'medium', 'low', 'info'] }) as FindingTelemetry['severity'],
        asset: t.at('asset').optional((x) => x.string({ pattern: ENTITY }), s.target.host),
        package: t.at('package').optional((x) => x.string({ max: 200 }), null),
      };
    }
  }
  return t.at('kind').fail('unreachable');
}

/** How many events the scenario sends (before checking the bound). */
export function plannedEvents(s: Scenario): number {
  const streamed = Math.max(1, Math.round((s.pacing.rate_per_s * s.pacing.duration_ms) / 1000));
  let n = 0;
  for (const t of s.telemetry) {
    if (t.kind === 'nslkdd') n += streamed;
    else if (t.kind === 'auth_burst') n += t.failures + (t.then_success ? 1 : 0);
    else if (t.kind === 'metric_spike') n += t.warmup_samples + Math.max(1, Math.round((s.pacing.rate_per_s * (t.duration_ms ?? s.pacing.duration_ms)) / 1000));
    else n += 1;
  }
  return n;
}

export function loadScenarioFile(path: string): Scenario {
  return parseScenario(readYaml(path));
}

/**
 * Loads one file, or every *.yaml / *.yml under a directory (recursively, sorted by path). Scenario ids must be
 * unique across what is loaded.
 */
export function loadScenarios(path: string): Scenario[] {
  const files = statSync(path).isDirectory() ? yamlFiles(path) : [path];
  if (!files.length) throw new ConfigFileError(rel(path), '(dir)', 'no scenario files (*.yaml) found');
  const scenarios = files.map(loadScenarioFile);
  const seen = new Map<string, string>();
  for (const s of scenarios) {
    const other = seen.get(s.id);
    if (other) throw new ConfigFileError(s.file, 'id', `scenario id "${s.id}" is also used by ${other}`);
    seen.set(s.id, s.file);
  }
  return scenarios;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(name)) out.push(full);
  }
  return out;
}

const rel = (p: string): string => (relative(projectRoot, p).startsWith('..') ? p : relative(projectRoot, p));
