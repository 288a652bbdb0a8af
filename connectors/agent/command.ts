import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { AgentClient, type AgentEvent } from './client.js';

export function registerProduceCommand(program: Command): void {
  program
    .command('produce')
    .description('Send telemetry events (JSON, one per line) to rbp.metrics through the agent SDK: Avro via the registry, batched, retried')
    .argument('[file]', 'JSONL file of events; - or nothing reads standard input', '-')
    .option('--event <json>', 'send this one event instead of reading a file')
    .addHelpText('after', `
Each event: {"agent_id", "host", "source", "type": METRIC|AUTH|CONNECTION|FINDING|COMPLIANCE, "payload": {...}}
event_id and event_time (UTC ms or ISO-8601) are filled in when absent. Example:
  socflow produce --event '{"agent_id":"agent-7","host":"gw-1","source":"ai-agent","type":"METRIC","payload":{"metrics":{"tokens_used":1200}}}'`)
    .action(async (file: string, opts: { event?: string }) => {
      const client = await AgentClient.connect({ clientId: 'socflow-produce' });
      let sent = 0;
      let lineNo = 0;
      try {
        const lines = opts.event !== undefined ? [opts.event] : createInterface({ input: file === '-' ? process.stdin : createReadStream(file, 'utf8'), crlfDelay: Infinity });
        for await (const line of lines) {
          lineNo += 1;
          if (!line.trim()) continue;
          let parsed: AgentEvent & { event_time?: number | string };
          try {
            parsed = JSON.parse(line);
          } catch (err) {
            throw new Error(`line ${lineNo}: not JSON: ${(err as Error).message}`);
          }
          if (typeof parsed.event_time === 'string') parsed.event_time = Date.parse(parsed.event_time);
          try {
            client.send(parsed as AgentEvent);
          } catch (err) {
            throw new Error(`line ${lineNo}: ${(err as Error).message}`);
          }
          sent += 1;
          if (sent % 10_000 === 0) process.stderr.write(`  queued ${sent}\n`);
        }
        await client.flush();
        process.stderr.write(`socflow produce: sent ${sent} event(s)\n`);
      } finally {
        await client.close();
      }
    });
}
