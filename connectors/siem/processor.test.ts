import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/events.js';
import { createKafka } from '../../lib/kafka/client.js';
import { readTopic } from '../../lib/kafka/readTopic.js';
import { codecFor } from '../../lib/serde/codecs.js';
import { SchemaRegistryClient } from '../../lib/serde/registry.js';
import { topicSpec } from '../../lib/topics/catalog.js';
import { isolatedCatalog } from '../../test/kit.js';
import { siemDefinitions } from './processor.js';
import { verifyWebhookSignature } from './formatters.js';

const alert = (id: string, title: string): Alert => ({
  alert_id: id, agent_id: 'web-01', host: 'web-01', severity: 'high', category: 'brute_force', title, description: 'd', remediation: 'r',
  detector: 'rule:auth-brute-force', score: null, model_version: null, techniques: ['T1110'], evidence_event_ids: ['e1'],
  first_evidence_time: 1_700_000_000_000, event_time: 1_700_000_001_000, detected_at: 1_700_000_002_000, asset_criticality: 'high', metadata: {},
});

const received: { body: string; headers: Record<string, string | string[] | undefined> }[] = [];
// A receiver that accepts alerts, except one it rejects for good (400).
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    received.push({ body, headers: req.headers });
    res.writeHead(body.includes('poison') ? 400 : 200).end(body.includes('poison') ? 'bad alert' : 'ok');
  });
});
afterAll(() => server.close());

describe('siem-webhook over the real broker', () => {
  it('delivers every alert from rbp.alerts signed, and dead-letters the one the target rejects', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { catalog } = await isolatedCatalog('siem');
    const secret = 'x'.repeat(40);
    process.env.SIEM_WEBHOOK_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    process.env.SIEM_WEBHOOK_SECRET = secret;
    process.env.SIEM_WEBHOOK_BATCH_SIZE = '1';
    const codec = await codecFor<Alert>(new SchemaRegistryClient(), topicSpec(catalog, 'rbp.alerts'));
    const producer = createKafka('siem-test').producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    const alerts = [alert('a1', 'one'), alert('a2', 'poison'), alert('a3', 'three')];
    await producer.send({ topic: topicSpec(catalog, 'rbp.alerts').name, messages: alerts.map((a) => ({ key: a.agent_id, value: codec.encode(a) })) });
    await producer.disconnect();

    const webhook = siemDefinitions.find((d) => d.name === 'siem-webhook')!;
    const running = await webhook.start({ instanceId: 'test', metricsPort: -1 });
    try {
      for (let i = 0; i < 100 && received.length < 3; i++) await sleep(100);
      const delivered = received.filter((r) => r.headers['idempotency-key'] !== 'a2').map((r) => JSON.parse(r.body).alerts[0].alert_id);
      expect(delivered.sort()).toEqual(['a1', 'a3']);
      for (const r of received) {
        expect(verifyWebhookSignature({ body: r.body, secret, timestamp: String(r.headers['x-socflow-timestamp']), signature: String(r.headers['x-socflow-signature']), nowSec: Math.floor(Date.now() / 1000) })).toBe(true);
      }
      const dlqCodec = await codecFor<{ reason: string; error: string; value: Buffer }>(new SchemaRegistryClient(), topicSpec(catalog, 'rbp.alerts.dlq'));
      const dead = await Promise.all((await readTopic(topicSpec(catalog, 'rbp.alerts.dlq').name, { done: (n) => n >= 1, timeoutMs: 15_000 })).map((r) => dlqCodec.decode(r.value)));
      expect(dead).toHaveLength(1);
      expect(dead[0].reason).toBe('rejected_by_target');
      expect(dead[0].error).toMatch(/400/);
      expect((await codec.decode(dead[0].value)).alert_id).toBe('a2');
    } finally {
      await running.stop();
    }
  }, 60_000);
});
