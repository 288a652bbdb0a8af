import * as ort from 'onnxruntime-node';
import { attributeColumns } from '../connectionAttributes.js';
import { CONNECTION_ATTRIBUTES, CONNECTION_STRING_ATTRIBUTES, type NetworkConnection } from '../events.js';
import type { ModelManifest } from './manifest.js';
import type { LoadedModel } from './registry.js';

/** One row to score: the 41 attributes (traffic ones may be null when unknown; they are then scored as 0). */
export type ScoreRow = Pick<NetworkConnection, (typeof CONNECTION_ATTRIBUTES)[number]>;

export interface Scores {
  /** P(attack) per row, in row order. */
  probabilities: Float64Array;
  /** 1 = attack, 0 = normal: P(attack) >= manifest threshold, or the graph's label when the manifest has none. */
  labels: Uint8Array;
  /** The rows' values, one column per attribute in `CONNECTION_ATTRIBUTES` order (what the tensors were built from). */
  columns: unknown[][];
}

const STRING_INPUTS = new Set<string>(CONNECTION_STRING_ATTRIBUTES);

/**
 * An onnxruntime-node session for one verified model version. `score` turns a whole batch of connections
 * into one set of 41 [N,1] tensors and makes exactly one `session.run`.
 */
export class Scorer {
  /** session.run calls made so far (one per non-empty `score`). */
  runs = 0;
  /** Rows scored so far. */
  rows = 0;

  private constructor(
    readonly model: LoadedModel,
    private readonly session: ort.InferenceSession,
  ) {}

  get manifest(): ModelManifest {
    return this.model.manifest;
  }

  /** name@version */
  get ref(): string {
    return this.model.ref;
  }

  /** Creates the session from the verified bytes and checks the graph's inputs/outputs against the contract. */
  static async create(model: LoadedModel): Promise<Scorer> {
    const session = await ort.InferenceSession.create(model.bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
    const expected = model.manifest.inputs.map((i) => i.name);
    const problems: string[] = [];
    if (session.inputNames.join(',') !== expected.join(',')) problems.push(`graph inputs [${session.inputNames.join(', ')}] differ from the manifest inputs [${expected.join(', ')}]`);
    if (!session.outputNames.includes('probabilities')) problems.push(`graph has no "probabilities" output (outputs: ${session.outputNames.join(', ')})`);
    if (model.manifest.threshold === null && !session.outputNames.includes('label')) problems.push('graph has no "label" output and the manifest no threshold');
    if (problems.length) {
      await session.release();
      throw new Error(`model ${model.ref}: ${problems.join('; ')}`);
    }
    return new Scorer(model, session);
  }

  async score(rows: readonly ScoreRow[]): Promise<Scores> {
    const n = rows.length;
    const columns = attributeColumns(rows);
    if (n === 0) return { probabilities: new Float64Array(0), labels: new Uint8Array(0), columns };
    const feeds: Record<string, ort.Tensor> = {};
    CONNECTION_ATTRIBUTES.forEach((attr, k) => {
      const column = columns[k];
      if (STRING_INPUTS.has(attr)) {
        feeds[attr] = new ort.Tensor('string', column.map((v) => String(v ?? '')), [n, 1]);
      } else {
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = r0(column[i] as number | string | null | undefined);
        feeds[attr] = new ort.Tensor('float32', data, [n, 1]);
      }
    });
    const fetches = this.manifest.threshold === null ? ['probabilities', 'label'] : ['probabilities'];
    this.runs++;
    const out = await this.session.run(feeds, fetches);
    const proba = out.probabilities;
    if (proba.dims.length !== 2 || proba.dims[0] !== n || proba.dims[1] !== 2) throw new Error(`model ${this.ref}: probabilities has shape [${proba.dims.join(',')}], expected [${n},2]`);
    const p = proba.data as Float32Array;
    const probabilities = new Float64Array(n);
    const labels = new Uint8Array(n);
    const threshold = this.manifest.threshold;
    const graphLabels = threshold === null ? (out.label.data as BigInt64Array) : null;
    for (let i = 0; i < n; i++) {
      probabilities[i] = p[2 * i + 1];
      labels[i] = threshold !== null ? (p[2 * i + 1] >= threshold ? 1 : 0) : graphLabels![i] === 1n ? 1 : 0;
    }
    this.rows += n;
    return { probabilities, labels, columns };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

const r0 = (v: number | string | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));
