import type { RunningStage } from '../lib/stream/kafkaRuntime.js';

export interface RunOptions {
  instanceId: string;
  metricsPort?: number;
}

/** What `socflow run <name>` needs to know of a processor; each processors/<name>/index.ts exports one. */
export interface ProcessorDefinition {
  name: string;
  description: string;
  /** Logical topics its consumer group reads. */
  inputs: readonly string[];
  /** Default Prometheus port; several copies on one host take `--metrics-port 0`. */
  metricsPort: number;
  start(opts: RunOptions): Promise<RunningStage>;
}
