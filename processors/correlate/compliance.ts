import type { ComplianceScore } from '../../lib/events.js';
import type { ComplianceRule } from './rules.js';
import { fmt, makeSignal, type Signal } from './signal.js';

/** Stateless: every rule whose benchmark filter matches and whose min_score is above the score fires. */
export function observeCompliance(
  event: { event_id: string; event_time: number },
  c: ComplianceScore,
  rules: readonly ComplianceRule[],
  evidenceLimit: number,
): Signal[] {
  return rules
    .filter((r) => (r.benchmarks.length === 0 || r.benchmarks.some((b) => c.benchmark.includes(b))) && c.score < r.min_score)
    .map((r) =>
      makeSignal(
        r,
        `${c.benchmark} (${c.profile}) scores ${fmt(c.score)}, below ${fmt(r.min_score)}`,
        [{ id: event.event_id, time: event.event_time }],
        evidenceLimit,
        { benchmark: c.benchmark, profile: c.profile, score: c.score, min_score: r.min_score, ...failCount(c.counts) },
      ),
    );
}

function failCount(counts: Record<string, number>): Record<string, number> {
  return typeof counts?.fail === 'number' ? { failed_rules: counts.fail } : {};
}
