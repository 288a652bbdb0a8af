import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { CONNECTION_TRAFFIC_ATTRIBUTES, type TelemetryEvent } from '../../lib/events.js';
import { codecFor } from '../../lib/serde/codecs.js';
import { avroTypeOptions } from '../../lib/serde/nullableUnions.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { loadTopicSchema } from '../../lib/schemas/load.js';
import type { InputRecord } from '../../lib/stream/stage.js';
import { topicSpec } from '../../lib/topics/catalog.js';
import { isolatedCatalog } from '../../test/kit.js';
import type { CorrelatedEvent } from './signal.js';
import { auth, conn, metric, rules } from './testkit.js';
import { createCorrelateStage, INPUT_TOPIC, OUTPUT_TOPIC } from './transform.js';

const sensorTraffic = Object.fromEntries(CONNECTION_TRAFFIC_ATTRIBUTES.map((a, i) => [a, i % 3 === 0 ? 0.25 : i]));

/** Decoded with its own (keepEncoded) codec, as correlate's runtime does, then the real correlate transform. */
async function correlateDecoded(events: TelemetryEvent[]) {
  const { catalog } = await isolatedCatalog('fwd');
  const registry = new SchemaRegistryClient();
  const input = await codecFor<TelemetryEvent>(registry, topicSpec(catalog, INPUT_TOPIC), { keepEncoded: true });
  const output = await codecFor<CorrelatedEvent>(registry, topicSpec(catalog, OUTPUT_TOPIC));
  const batch: InputRecord<TelemetryEvent>[] = events.map((e, i) => {
    const raw = input.encode(e);
    return { topic: INPUT_TOPIC, partition: 0, offset: BigInt(i), key: e.agent_id, timestamp: e.event_time, raw, value: input.decode(raw) as TelemetryEvent };
  });
  const stage = createCorrelateStage(rules());
  const result = stage.process(batch, stage.createState(INPUT_TOPIC, 0));
  return { catalog, registry, input, output, batch, outputs: result.outputs.map((o) => o.value as CorrelatedEvent) };
}

describe('correlate reuses the bytes of events it forwards unchanged', () => {
  it('writes the same bytes as a full encoding, for unchanged, changed and signalled events', async () => {
    const t = 1_700_000_000_000;
    const events = [
      conn('a', t, { traffic: sensorTraffic }), // SENSOR: forwarded as decoded
      conn('a', t + 10), // COMPUTED: a new event object with the features
      ...Array.from({ length: 6 }, (_, i) => auth('b', t + 20 + i, 'FAILURE')), // the 5th fires a signal
      metric('c', t + 40, { cpu: 12.5 }),
    ];
    const { batch, outputs, output } = await correlateDecoded(events);
    const kinds = outputs.map((o) => `${o.event.type}:${o.traffic_features}:${o.signals.length}`);
    expect(kinds).toEqual(['CONNECTION:SENSOR:0', 'CONNECTION:COMPUTED:0', 'AUTH:NONE:1']);
    // The forwarded objects are the decoded ones (bytes kept), except the COMPUTED copy.
    expect(outputs[0].event).toBe(batch[0].value);
    expect(outputs[1].event).not.toBe(batch[1].value);
    for (const out of outputs) {
      const spliced = output.encode(out);
      const full = output.encode(structuredClone(out)); // a fresh object: no kept bytes, every field written
      expect(spliced.equals(full)).toBe(true);
      expect(output.decode(spliced)).toEqual(out);
    }
  });

  it('freezes kept events, so a transform cannot change one in place under its bytes', async () => {
    const { batch } = await correlateDecoded([conn('a', 1_700_000_000_000, { traffic: sensorTraffic })]);
    const event = batch[0].value as Extract<TelemetryEvent, { type: 'CONNECTION' }>;
    expect(() => ((event as { host: string }).host = 'elsewhere')).toThrow(TypeError);
    expect(() => (event.payload.dst_port = 1)).toThrow(TypeError);
    expect(() => (event.metadata.tag = 'y')).toThrow(TypeError);
  });

  it('keeps nothing for a record written with another schema, whose bytes are not this build encoding', async () => {
    const { catalog, registry, input, output } = await correlateDecoded([]);
    const spec = topicSpec(catalog, INPUT_TOPIC);
    // A newer producer: one more field (with a default) that this build's reader skips.
    const base = loadTopicSchema(spec.valueSchema);
    const newer = { ...base, fields: [...(base.fields as object[]), { name: 'producer_build', type: 'string', default: '' }] };
    const newerId = await registry.register(spec.valueSubject, newer);
    const event = conn('a', 1_700_000_000_000, { traffic: sensorTraffic });
    const wire = { ...event, payload: undefined, metric: null, auth: null, connection: event.payload, finding: null, compliance: null, producer_build: 'v9' };
    const body = avro.Type.forSchema(newer as avro.Schema, avroTypeOptions()).toBuffer(wire);
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
    framed.writeUInt32BE(newerId, 1);
    const decoded = (await input.decode(framed)) as TelemetryEvent;
    expect(decoded).toEqual(event);
    expect(Object.isFrozen(decoded)).toBe(false);
    const correlated: CorrelatedEvent = { event: decoded, traffic_features: 'SENSOR', signals: [] };
    expect(output.decode(output.encode(correlated))).toEqual(correlated);
  });
});
