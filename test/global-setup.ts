import type { TestProject } from 'vitest/node';
import type { StackComponent } from '../infra/stack/component.js';
import { SERVICE_VARS, type ServiceEnv, dockerAnswers, servicesFromEnvironment } from './services.js';

/**
 * Every test gets its services from here, in this order: the environment (a user's own cluster), else
 * containers when a Docker engine answers, else the local stack (started if it is not running, and
 * stopped afterwards only if this run started it). No service is ever mocked.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let env: ServiceEnv | undefined = servicesFromEnvironment();
  let teardown = async () => {};
  if (env) {
    process.stderr.write('[test services] from the environment\n');
  } else if (dockerAnswers()) {
    process.stderr.write('[test services] starting containers (Docker engine found)\n');
    const { startContainers } = await import('./containers.js');
    const started = await startContainers();
    env = started.env;
    teardown = started.stop;
  } else {
    const { stackContext } = await import('../infra/stack/context.js');
    const { stackUp, stopComponent } = await import('../infra/stack/stack.js');
    const ctx = stackContext((line) => process.stderr.write(`[test services] ${line}\n`));
    const startedHere: StackComponent[] = [];
    env = (await stackUp(ctx, startedHere)) as ServiceEnv;
    // Stop only what this run started: a stack that was already up (a developer's, another run's) stays.
    if (process.env.SOCFLOW_KEEP_STACK !== '1') {
      teardown = async () => {
        for (const c of startedHere.reverse()) await stopComponent(ctx, c);
      };
    }
  }
  for (const v of SERVICE_VARS) process.env[v] = env[v];
  project.provide('services', env);
  return teardown;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceEnv;
  }
}
