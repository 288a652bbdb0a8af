import type { RunningStage } from '../lib/stream/kafkaRuntime.js';

export interface RunOptions {
  instanceId: string;
  metricsPort?: number;
}

/**
 * What `socflow run <name>` needs to know of a processor; each processors/<name>/index.ts exports one.
 * index.ts holds only this metadata and `start` imports the processor's start.ts when called, so a
 * stage process loads its own dependencies, not every other stage's (ONNX runtime, ClickHouse client…).
 */
export interface ProcessorDefinition {
  name: string;
  description: string;
  /** Logical topics its consumer group reads. */
  inputs: readonly string[];
  /** Default Prometheus port; several copies on one host take `--metrics-port 0`. */
  metricsPort: number;
  start(opts: RunOptions): Promise<RunningStage>;
}
