import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type StackContext, requireTool, runStep } from './context.js';
import type { StackComponent } from './component.js';

const APICURIO = '2.6.13.Final';

/** Apicurio Registry (Confluent-compatible API under /apis/ccompat/v7), persistent H2 storage in the stack dir. */
export const registryComponent: StackComponent = {
  name: 'schema-registry',
  envVar: 'SCHEMA_REGISTRY_URL',
  address: (ctx) => `http://127.0.0.1:${ctx.ports.registry}/apis/ccompat/v7`,
  ports: (ctx) => [ctx.ports.registry],
  startTimeoutMs: 120_000,

  prepare(ctx) {
    requireTool('java', 'the schema registry');
    if (existsSync(runnerJar(ctx))) return;
    requireTool('mvn', 'fetching Apicurio Registry from Maven Central');
    ctx.progress(`  schema-registry: fetching Apicurio Registry ${APICURIO} from Maven Central (once, 142 MB)...`);
    const dir = apicurioDir(ctx);
    mkdirSync(dir, { recursive: true });
    runStep('fetching Apicurio Registry', 'mvn', [
      '-q', 'dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO}:tar.gz:all`, `-DoutputDirectory=${dir}`,
    ], dir);
    const archive = readdirSync(dir).find((f) => f.endsWith('.tar.gz'));
    if (!archive) throw new Error(`Apicurio archive missing in ${dir} after download`);
    runStep('unpacking Apicurio Registry', 'tar', ['-xzf', archive], dir);
  },

  command(ctx) {
    const dataDir = join(ctx.stackDir, 'registry');
    mkdirSync(dataDir, { recursive: true });
    return {
      command: 'java',
      args: ['-Xms128m', '-Xmx512m', '-Dquarkus.http.host=127.0.0.1', `-Dquarkus.http.port=${ctx.ports.registry}`, '-jar', runnerJar(ctx)],
      // The default in-memory H2 would lose schemas on restart while stored records still carry their ids.
      env: { ...process.env, REGISTRY_DATASOURCE_URL: `jdbc:h2:file:${join(dataDir, 'registry')}`, QUARKUS_LOG_LEVEL: 'WARN' },
    };
  },

  async healthy(address) {
    const res = await fetch(`${address}/subjects`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  },
};

function apicurioDir(ctx: StackContext): string {
  return join(ctx.cacheDir, `apicurio-registry-${APICURIO}`);
}

function runnerJar(ctx: StackContext): string {
  return join(apicurioDir(ctx), `apicurio-registry-app-${APICURIO}-runner.jar`);
}
