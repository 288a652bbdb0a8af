/**
 * The front as a process: `node main.js --path --port`, its ready line, signals, and the
 * failures it must explain (port taken, data directory locked by another process). main.ts
 * is compiled with tsc into a temporary directory first, as `npm run build` would.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickhouseFront } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '../../..');
const run = promisify(execFile);

let buildDir: string;
let mainJs: string;
const scratch: string[] = [];
const children = new Set<ChildProcess>();

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(d);
  return d;
}

interface Started {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

function startFront(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [mainJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`front did not start in time; stderr:\n${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^clickhouse-front listening on (http:\/\/127\.0\.0\.1:\d+)\n/m.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveStart({ child, url: m[1], stderr: () => err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`front exited with ${code} before it was ready; stderr:\n${err}`));
    });
  });
}

function runToExit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [mainJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolveRun({ code, stdout, stderr }));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'ch-front-build-'));
  scratch.push(buildDir);
  const require = createRequire(import.meta.url);
  const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  await run(
    process.execPath,
    [
      tsc,
      '--outDir', buildDir,
      '--rootDir', projectRoot,
      '--module', 'NodeNext',
      '--moduleResolution', 'NodeNext',
      '--target', 'ES2022',
      '--strict',
      '--esModuleInterop',
      '--skipLibCheck',
      '--types', 'node',
      join(here, 'main.ts'),
    ],
    { cwd: projectRoot, timeout: 120_000 },
  );
  writeFileSync(join(buildDir, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(projectRoot, 'node_modules'), join(buildDir, 'node_modules'), 'dir');
  mainJs = join(buildDir, 'infra', 'clickhouse', 'front', 'main.js');
  expect(existsSync(mainJs)).toBe(true);
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

describe('clickhouse-front process', () => {
  it('serves a data directory, explains conflicts, and closes the engine on SIGTERM', async () => {
    const dataPath = tempDir('ch-front-data-');
    const first = await startFront(['--path', dataPath, '--port', '0']);
    const pid = first.child.pid!;
    expect(await (await fetch(`${first.url}/?query=SELECT%201`)).text()).toBe('1\n');

    // memory: idle, then after some work (reported, loosely bounded)
    await new Promise((r) => setTimeout(r, 500));
    const idle = rssMiB(pid);
    const client = createClient({ url: first.url });
    await client.command({ query: 'CREATE TABLE t (id UInt64, host LowCardinality(String), v Float64) ENGINE = MergeTree ORDER BY id' });
    await client.command({ query: "INSERT INTO t SELECT number, concat('h', toString(number % 50)), rand() / 1e9 FROM numbers(1000000)" });
    await client.insert({ table: 't', format: 'JSONEachRow', values: Array.from({ length: 5000 }, (_, i) => ({ id: 2_000_000 + i, host: 'x', v: i })) });
    await (await client.query({ query: 'SELECT host, count(), avg(v), quantile(0.9)(v) FROM t GROUP BY host ORDER BY host', format: 'JSON' })).json();
    await (await client.query({ query: 'SELECT * FROM t ORDER BY id LIMIT 20000', format: 'JSONEachRow' })).json();
    await client.close();
    const busy = rssMiB(pid);
    console.log(`clickhouse-front RSS: idle ${idle.toFixed(0)} MiB, after queries ${busy.toFixed(0)} MiB`);
    expect(idle).toBeLessThan(1024);
    expect(busy).toBeLessThan(2048);

    // a second front on the same directory fails clearly
    const second = await runToExit(['--path', dataPath, '--port', '0']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`data directory ${dataPath} is locked by another ClickHouse engine (pid ${pid}`);

    // a taken port fails clearly (and lets go of its own directory)
    const port = new URL(first.url).port;
    const taken = await runToExit(['--path', tempDir('ch-front-data-'), '--port', port]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);

    // SIGTERM: clean close, directory unlocked
    const t0 = Date.now();
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(existsSync(join(dataPath, 'status'))).toBe(false);
    expect(first.stderr()).toContain('clickhouse front closed');

    // and the data is still there for the next owner, which stops on SIGINT
    const again = await startFront(['--path', dataPath, '--port', '0']);
    expect(await (await fetch(`${again.url}/?query=SELECT%20count()%20FROM%20t`)).text()).toBe('1005000\n');
    again.child.kill('SIGINT');
    expect(await exited(again.child)).toBe(0);
  });

  it('rejects bad arguments with usage (exit 2)', async () => {
    const noPath = await runToExit(['--port', '0']);
    expect(noPath.code).toBe(2);
    expect(noPath.stderr).toContain('--path is required');
    const badPort = await runToExit(['--path', tempDir('ch-front-data-'), '--port', 'eighty']);
    expect(badPort.code).toBe(2);
    const unknown = await runToExit(['--path', tempDir('ch-front-data-'), '--port', '0', '--bogus']);
    expect(unknown.code).toBe(2);
  });
});

describe('startClickhouseFront in-process', () => {
  it('refuses non-loopback addresses', async () => {
    await expect(startClickhouseFront({ dataPath: tempDir('ch-front-data-'), host: '0.0.0.0', port: 0 })).rejects.toThrow(/only listens on loopback/);
  });

  it('explains a directory locked by another process', async () => {
    const dataPath = tempDir('ch-front-data-');
    mkdirSync(dataPath, { recursive: true });
    const holder = await startFront(['--path', dataPath, '--port', '0']);
    try {
      await expect(startClickhouseFront({ dataPath, port: 0 })).rejects.toThrow(
        new RegExp(`locked by another ClickHouse engine \\(pid ${holder.child.pid}; Cannot lock file .*status\\)`),
      );
    } finally {
      holder.child.kill('SIGTERM');
      await exited(holder.child);
    }
  });
});
