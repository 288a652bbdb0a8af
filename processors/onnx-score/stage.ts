import { createHash } from 'node:crypto';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { hasTrafficAttributes, missingTrafficAttributes } from '../../lib/connectionAttributes.js';
import { type Alert, CONNECTION_ATTRIBUTES, type NetworkConnection, type TelemetryEvent } from '../../lib/events.js';
import { DriftWindow, driftGauges, publishDrift, type DriftGauges, type DriftOptions, type DriftReport } from '../../lib/models/drift.js';
import type { ModelHolder } from '../../lib/models/holder.js';
import type { ScoreRow } from '../../lib/models/scorer.js';
import type { DeadLetter, InputRecord, OutputRecord, Stage, StageContext, StageResult } from '../../lib/stream/stage.js';
import { isSeverity, modelCategory, scoreSeverity, withAsset, type ModelCategory } from './policy.js';
import type { RemediationCatalogue } from './remediation.js';
import type { CorrelatedEvent, Signal } from './types.js';

/**
 * onnx-score: rbp.correlated → rbp.alerts.
 *
 * Per batch (one partition): the model is leased once (a hot-reloaded version takes effect between batches),
 * every complete CONNECTION of the batch is scored in ONE session.run, then records are walked in offset order:
 *  - each rule signal → one rule alert, id = sha256('rule', rule_id, agent_id, sorted evidence ids);
 *  - a connection with P(attack) ≥ threshold → at most one model alert per (agent_id, category, event-time
 *    bucket of alertBucketMs): id = sha256('model', agent_id, category, bucket start); evidence = the first
 *    such connection in partition order; later ones in the bucket are counted as dropped `suppressed`.
 * State per partition: the (agent, category) keys already alerted per bucket and the event-time watermark.
 * A bucket closes (and is evicted) once the watermark passes its end + allowedLatenessMs; an attack falling
 * in a closed bucket is dropped as `late`. rebuildLookbackMs covers bucket + lateness + slack, so a restart
 * (replay with ctx.replaying) re-derives the same state and ids. Nothing depends on the wall clock except
 * `detected_at`.
 */

export interface OnnxScoreOptions {
  model: ModelHolder;
  remediation: RemediationCatalogue;
  /** Model alert flood bucket (event time), default 60 s. */
  alertBucketMs?: number;
  /** How long after a bucket's end (in event time) it still accepts attacks, default one bucket. */
  allowedLatenessMs?: number;
  /** Extra record-time lookback on restart for record time vs event time skew, default 60 s. */
  rebuildSlackMs?: number;
  drift?: DriftOptions;
  /** Where the stage's own metrics go (scores, suppression, drift, model info). */
  registry?: Registry;
}

export interface OnnxScoreState {
  watermark: number;
  /** bucket start → `${agent_id}\0${category}` keys already alerted. */
  emitted: Map<number, Set<string>>;
}

const FEATURE_METADATA = [
  'protocol_type', 'service', 'flag', 'src_bytes', 'dst_bytes', 'count', 'srv_count', 'serror_rate', 'rerror_rate',
  'same_srv_rate', 'diff_srv_rate', 'dst_host_count', 'dst_host_srv_count', 'dst_host_diff_srv_rate', 'dst_host_serror_rate',
  'num_failed_logins', 'root_shell',
] as const;

const CATEGORY_TITLES: Record<ModelCategory, string> = {
  dos: 'Denial-of-service traffic',
  probe: 'Network probing/scanning',
  r2l: 'Remote-to-local access attempt',
  u2r: 'Privilege escalation activity',
  network_intrusion: 'Suspicious network connection',
};

export function alertId(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

export function onnxScoreMetrics(registry: Registry) {
  return {
    scored: new Counter({ name: 'socflow_model_scored_total', help: 'Connections scored by the model (live)', labelNames: ['model'], registers: [registry] }),
    alerts: new Counter({ name: 'socflow_alerts_emitted_total', help: 'Alerts emitted (live)', labelNames: ['detector_kind', 'category'], registers: [registry] }),
    suppressed: new Counter({ name: 'socflow_model_alerts_suppressed_total', help: 'Attack-scored connections folded into an existing alert of their bucket', registers: [registry] }),
    runSeconds: new Histogram({ name: 'socflow_model_run_seconds', help: 'Time of one batch session.run', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
    modelInfo: new Gauge({ name: 'socflow_model_info', help: '1 for the model version serving the last batch', labelNames: ['model'], registers: [registry] }),
    drift: driftGauges(registry) as DriftGauges,
  };
}

type Metrics = ReturnType<typeof onnxScoreMetrics>;

export function createOnnxScoreStage(opts: OnnxScoreOptions): Stage<CorrelatedEvent, OnnxScoreState> {
  const bucketMs = opts.alertBucketMs ?? 60_000;
  const lateness = opts.allowedLatenessMs ?? bucketMs;
  const slack = opts.rebuildSlackMs ?? 60_000;
  if (!(bucketMs > 0) || lateness < 0 || slack < 0) throw new Error(`onnx-score: invalid timing (alertBucketMs ${bucketMs}, allowedLatenessMs ${lateness}, rebuildSlackMs ${slack})`);
  const metrics: Metrics | null = opts.registry ? onnxScoreMetrics(opts.registry) : null;
  let drift: { ref: string; window: DriftWindow } | null = null;
  let servingRef: string | null = null;

  const closed = (bucket: number, watermark: number): boolean => bucket + bucketMs + lateness <= watermark;

  return {
    name: 'onnx-score',
    inputs: ['rbp.correlated'],
    outputs: ['rbp.alerts', 'rbp.model_drift'],
    deadLetterTopic: 'rbp.correlated.dlq',
    rebuildLookbackMs: bucketMs + lateness + slack,
    createState: () => ({ watermark: -Infinity, emitted: new Map() }),

    async process(batch: InputRecord<CorrelatedEvent>[], state: OnnxScoreState, ctx: StageContext): Promise<StageResult> {
      const outputs: OutputRecord[] = [];
      const deadLetters: DeadLetter[] = [];
      const dropped: Record<string, number> = {};
      const drop = (reason: string) => (dropped[reason] = (dropped[reason] ?? 0) + 1);
      const lease = opts.model.lease();
      try {
        const scorer = lease.scorer;
        if (metrics && servingRef !== scorer.ref) {
          if (servingRef) metrics.modelInfo.set({ model: servingRef }, 0);
          metrics.modelInfo.set({ model: scorer.ref }, 1);
          servingRef = scorer.ref;
        }
        // Pass 1: validate, and gather the connections to score.
        const invalid: (string | null)[] = batch.map((r) => invalidReason(r.value));
        const rows: ScoreRow[] = [];
        const rowTimes: number[] = [];
        const rowOf = new Int32Array(batch.length).fill(-1);
        batch.forEach((r, i) => {
          if (invalid[i]) return;
          const ev = r.value.event;
          if (ev.type === 'CONNECTION' && hasTrafficAttributes(ev.payload)) {
            rowOf[i] = rows.length;
            rows.push(ev.payload);
            rowTimes.push(ev.event_time);
          }
        });
        const started = process.hrtime.bigint();
        const scores = await scorer.score(rows);
        if (rows.length && metrics && !ctx.replaying) {
          metrics.runSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
          metrics.scored.inc({ model: scorer.ref }, rows.length);
        }
        const detectedAt = ctx.now();

        // Pass 2: decisions in partition order.
        batch.forEach((record, i) => {
          if (invalid[i]) {
            deadLetters.push({ record, reason: 'invalid_event', error: invalid[i]! });
            return;
          }
          const { event, signals } = record.value;
          state.watermark = Math.max(state.watermark, event.event_time);
          let produced = 0;
          const j = rowOf[i];
          const score = j >= 0 ? scores.probabilities[j] : null;
          for (const signal of signals) {
            produced++;
            if (!ctx.replaying) outputs.push(out(ruleAlert(event, signal, score, scorer.ref, opts.remediation, detectedAt)));
          }
          if (j >= 0) {
            if (scores.labels[j] !== 1) {
              if (!produced) drop('benign');
              return;
            }
            const conn = (event as Extract<TelemetryEvent, { type: 'CONNECTION' }>).payload;
            const category = modelCategory(conn);
            const bucket = Math.floor(event.event_time / bucketMs) * bucketMs;
            if (closed(bucket, state.watermark)) {
              if (!produced) drop('late');
              return;
            }
            let keys = state.emitted.get(bucket);
            if (!keys) state.emitted.set(bucket, (keys = new Set()));
            const key = `${event.agent_id}\u0000${category}`;
            if (keys.has(key)) {
              if (!produced) drop('suppressed');
              if (metrics && !ctx.replaying) metrics.suppressed.inc();
              return;
            }
            keys.add(key);
            if (!ctx.replaying) {
              outputs.push(out(modelAlert(event, conn, record.value.traffic_features, category, bucket, bucketMs, scores.probabilities[j], scorer, opts.remediation, detectedAt)));
            }
            return;
          }
          if (event.type === 'CONNECTION') {
            // Correlate promises all 41 attributes; a connection without them cannot be scored.
            if (!produced) deadLetters.push({ record, reason: 'missing_features', error: `connection ${event.event_id} lacks traffic attributes (${missingTrafficAttributes(event.payload).join(', ')}); it cannot be scored` });
            return;
          }
          if (!produced) drop('no_detection');
        });

        for (const bucket of state.emitted.keys()) if (closed(bucket, state.watermark)) state.emitted.delete(bucket);

        if (metrics && !ctx.replaying) {
          for (const o of outputs) {
            const a = o.value as Alert;
            metrics.alerts.inc({ detector_kind: a.detector.startsWith('model:') ? 'model' : 'rule', category: a.category });
          }
        }
        if (!ctx.replaying && rows.length && scorer.manifest.training_distribution) {
          if (!drift || drift.ref !== scorer.ref) drift = { ref: scorer.ref, window: new DriftWindow(scorer.manifest.training_distribution, opts.drift) };
          const report = drift.window.observe(Object.fromEntries(CONNECTION_ATTRIBUTES.map((a, k) => [a, scores.columns[k]])), rowTimes);
          if (report) {
            if (metrics) publishDrift(metrics.drift, report);
            outputs.push(driftRecord(scorer.ref, report));
          }
        }
        return { outputs, deadLetters, dropped };
      } finally {
        lease.release();
      }
    },
  };
}

const out = (alert: Alert): OutputRecord => ({ topic: 'rbp.alerts', key: alert.agent_id, value: alert });

/**
 * A closed drift window as a record for rbp.model_drift (→ ClickHouse model_drift). Drift is monitoring,
 * not evidence: a window that was open when the process died starts over rather than being rebuilt.
 */
function driftRecord(ref: string, report: DriftReport): OutputRecord {
  return {
    topic: 'rbp.model_drift',
    key: ref,
    value: {
      report_id: createHash('sha256').update(`${ref}|${report.start}|${report.end}|${report.rows}`).digest('hex').slice(0, 32),
      model_version: ref,
      window_start: report.start,
      window_end: report.end,
      rows: report.rows,
      max_feature: report.max.feature,
      max_psi: report.max.psi,
      psi: report.psi,
    },
  };
}

/** Why a value cannot be processed (a hand-made or corrupt record; the Avro decoder already checks types). */
function invalidReason(v: CorrelatedEvent | null | undefined): string | null {
  const e = v?.event;
  if (!e || typeof e !== 'object') return 'no event';
  if (typeof e.event_id !== 'string' || !e.event_id) return 'event has no event_id';
  if (typeof e.agent_id !== 'string' || !e.agent_id) return `event ${e.event_id} has no agent_id`;
  if (typeof e.event_time !== 'number' || !Number.isFinite(e.event_time)) return `event ${e.event_id} has no valid event_time`;
  if (e.type === 'CONNECTION' && (!e.payload || typeof e.payload !== 'object')) return `connection event ${e.event_id} has no payload`;
  if (!Array.isArray(v!.signals)) return `event ${e.event_id}: signals is not a list`;
  for (const s of v!.signals) {
    if (!s || typeof s.rule_id !== 'string' || !s.rule_id || typeof s.category !== 'string' || !s.category) return `event ${e.event_id}: a signal lacks rule_id or category`;
    if (!Array.isArray(s.evidence_event_ids)) return `event ${e.event_id}: signal ${s.rule_id} has no evidence_event_ids list`;
  }
  return null;
}

const fmt = (x: number | string | null): string => (x === null ? '' : typeof x === 'number' ? String(Math.round(x * 1e6) / 1e6) : x);

function modelAlert(
  event: TelemetryEvent,
  conn: NetworkConnection,
  trafficFeatures: string,
  category: ModelCategory,
  bucket: number,
  bucketMs: number,
  score: number,
  scorer: { ref: string; manifest: { threshold: number | null } },
  remediation: RemediationCatalogue,
  detectedAt: number,
): Alert {
  const criticality = event.asset?.criticality ?? 'unknown';
  const metadata: Record<string, string> = {};
  for (const f of FEATURE_METADATA) metadata[f] = fmt(conn[f]);
  Object.assign(metadata, {
    src_ip: conn.src_ip,
    dst_ip: conn.dst_ip,
    dst_port: String(conn.dst_port),
    traffic_features: trafficFeatures ?? 'NONE',
    threshold: scorer.manifest.threshold === null ? 'model label' : fmt(scorer.manifest.threshold),
    bucket_start: String(bucket),
    bucket_ms: String(bucketMs),
  });
  const p = Math.round(score * 1000) / 1000;
  return {
    alert_id: alertId(['model', event.agent_id, category, String(bucket)]),
    agent_id: event.agent_id,
    host: event.host,
    severity: withAsset(scoreSeverity(score), criticality),
    category,
    title: `${CATEGORY_TITLES[category]} on ${event.host} (model score ${p})`,
    description:
      `${scorer.ref} scored the ${conn.protocol_type}/${conn.service} connection ${conn.src_ip}:${conn.src_port} → ${conn.dst_ip}:${conn.dst_port} (flag ${conn.flag}) ` +
      `as an attack with probability ${p}${scorer.manifest.threshold === null ? '' : ` (threshold ${fmt(scorer.manifest.threshold)})`}; category ${category} from its traffic attributes ` +
      `(count ${fmt(conn.count)}, serror_rate ${fmt(conn.serror_rate)}, rerror_rate ${fmt(conn.rerror_rate)}, diff_srv_rate ${fmt(conn.diff_srv_rate)}). ` +
      `Further attack-scored connections of ${event.agent_id} in this category and ${Math.round(bucketMs / 1000)} s window are folded into this alert.`,
    remediation: remediation.text(category),
    detector: `model:${scorer.ref}`,
    score,
    model_version: scorer.ref,
    techniques: [],
    evidence_event_ids: [event.event_id],
    first_evidence_time: event.event_time,
    event_time: event.event_time,
    detected_at: detectedAt,
    asset_criticality: criticality,
    metadata,
  };
}

function ruleAlert(event: TelemetryEvent, signal: Signal, score: number | null, modelRef: string, remediation: RemediationCatalogue, detectedAt: number): Alert {
  const criticality = event.asset?.criticality ?? 'unknown';
  const evidence = [...new Set(signal.evidence_event_ids.length ? signal.evidence_event_ids : [event.event_id])].sort();
  const base = isSeverity(signal.severity) ? signal.severity : 'medium';
  const metadata: Record<string, string> = { ...(signal.metadata ?? {}), rule_id: signal.rule_id };
  if (score !== null) {
    metadata.model_score = fmt(score);
    metadata.model_version = modelRef;
  }
  const first = Number.isFinite(signal.first_evidence_time) ? Math.min(signal.first_evidence_time, event.event_time) : event.event_time;
  return {
    alert_id: alertId(['rule', signal.rule_id, event.agent_id, ...evidence]),
    agent_id: event.agent_id,
    host: event.host,
    severity: withAsset(base, criticality),
    category: signal.category,
    title: signal.title || `Rule ${signal.rule_id} fired on ${event.host}`,
    description: signal.description || signal.title || `Rule ${signal.rule_id} fired.`,
    remediation: remediation.text(signal.category),
    detector: `rule:${signal.rule_id}`,
    score: null,
    model_version: null,
    techniques: [...(signal.techniques ?? [])],
    evidence_event_ids: evidence,
    first_evidence_time: first,
    event_time: event.event_time,
    detected_at: detectedAt,
    asset_criticality: criticality,
    metadata,
  };
}
