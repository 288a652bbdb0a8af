/**
 * CPU profiling of stage processes. `--cpu-prof` is not allowed in NODE_OPTIONS, and StageProcess starts
 * `socflow run` without node flags, so `socflow bench --cpu-prof DIR` preloads this module instead
 * (NODE_OPTIONS=--import=dist/bench/cpuprof.js): it starts the V8 sampling profiler through the in-process
 * inspector and writes DIR/<stage>-<pid>.cpuprofile (Chrome DevTools format) when the process exits.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { PROFILE_DIR_ENV } from './profiles.js';

/**
 * Profiles `work` in this process (the stage-cost phase runs the transforms in the benchmark process, not in
 * stage processes) and writes DIR/<label>-<pid>.cpuprofile.
 */
export async function profiled<T>(dir: string | undefined, label: string, work: () => Promise<T>): Promise<T> {
  if (!dir) return work();
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<any>((res, rej) => session.post(method, params ?? {}, (err, r) => (err ? rej(err) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${label}-${process.pid}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

const dir = process.env[PROFILE_DIR_ENV];
if (dir && !process.env.VITEST) {
  const hop = process.argv[1]?.endsWith('hop.js');
  const at = process.argv.indexOf('run');
  const name = hop ? process.argv[2] : at >= 0 ? process.argv[at + 1] : 'process';
  const label = `${hop ? 'passthrough' : 'pipeline'}-${name}`;
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  // The in-thread inspector session answers synchronously, so this works in an 'exit' handler.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (err || !res?.profile) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${label}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
