import type { AuthEvent } from '../../lib/events.js';
import { EventTimeList } from './eventTimeList.js';
import { evictStale, touch } from './lru.js';
import type { AuthRules } from './rules.js';
import { makeSignal, type Signal } from './signal.js';

/**
 * Authentication bursts per (entity, source ip).
 *
 * A failure is "hot" when, with it, the source has at least N failures in (t − T, t]. The first hot failure
 * of a burst raises `brute_force`; later hot failures do not, as long as the previous hot failure of that
 * source is less than `suppress_ms` before (the burst goes on). With suppress_ms ≤ T a burst ends at the
 * latest when the window empties, so the next burst fires again; a slow sequence that never has N
 * failures within T never fires.
 *
 * A success with at least N failures of the same source in (t − T, t] raises `credential_compromise`,
 * once per burst in the same sense.
 *
 * Each decision depends only on the last T + suppress_ms of the source's input (a window, and the last hot
 * time before it), never on how long ago a burst began: so re-reading that span after a restart rebuilds
 * exactly the state an uninterrupted run has, and no burst fires twice or is lost.
 */
interface Failure {
  time: number;
  id: string;
  user: string;
}

interface SourceState {
  failures: EventTimeList<Failure>;
  lastHot: number | null;
  lastCompromise: number | null;
  lastTime: number;
}

export interface AuthState {
  sources: Map<string, SourceState>;
}

const MAX_SOURCES = 10_000;

export const createAuthState = (): AuthState => ({ sources: new Map() });

export function observeAuth(
  s: AuthState,
  event: { event_id: string; event_time: number },
  auth: AuthEvent,
  watermark: number,
  rules: AuthRules,
  evidenceLimit: number,
): Signal[] {
  const t = event.event_time;
  const src = touch(s.sources, auth.source_ip, () => ({ failures: new EventTimeList<Failure>(), lastHot: null, lastCompromise: null, lastTime: t }), MAX_SOURCES);
  src.lastTime = Math.max(src.lastTime, t);
  const signals: Signal[] = [];
  const recent = (since: number | null) => since !== null && t - since < rules.suppress_ms;

  if (auth.outcome === 'FAILURE') {
    src.failures.insert({ time: t, id: event.event_id, user: auth.user });
    const window = src.failures.between(t - rules.window_ms, t);
    if (window.length >= rules.failures) {
      if (!recent(src.lastHot)) {
        signals.push(
          makeSignal(
            rules.brute_force,
            `${window.length} failed ${auth.method} logins from ${auth.source_ip} within ${rules.window_ms / 1000} s (threshold ${rules.failures})`,
            window,
            evidenceLimit,
            { source_ip: auth.source_ip, failures: window.length, window_ms: rules.window_ms, users: users(window) },
          ),
        );
      }
      src.lastHot = Math.max(src.lastHot ?? t, t);
    }
  } else {
    const window = src.failures.between(t - rules.window_ms, t);
    if (window.length >= rules.failures) {
      if (!recent(src.lastCompromise)) {
        signals.push(
          makeSignal(
            rules.credential_compromise,
            `${auth.method} login of ${auth.user} from ${auth.source_ip} succeeded after ${window.length} failures within ${rules.window_ms / 1000} s`,
            [...window.slice(0, Math.max(0, evidenceLimit - 1)), { id: event.event_id, time: t }],
            evidenceLimit,
            { source_ip: auth.source_ip, user: auth.user, failures: window.length, window_ms: rules.window_ms, users: users(window) },
          ),
        );
      }
      src.lastCompromise = Math.max(src.lastCompromise ?? t, t);
    }
  }

  // A failure older than watermark − T can no more be in an in-time event's window.
  src.failures.evict(watermark - rules.window_ms, Math.max(rules.failures, evidenceLimit, 100));
  const stale = watermark - rules.window_ms - rules.suppress_ms;
  // A source last seen before that has no failure in any in-time window and no burst to suppress.
  evictStale(s.sources, (v) => v.lastTime < stale);
  return signals;
}

function users(window: readonly Failure[]): string {
  return [...new Set(window.map((f) => f.user))].slice(0, 10).join(',');
}
