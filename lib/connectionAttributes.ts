import { CONNECTION_ATTRIBUTES, CONNECTION_STRING_ATTRIBUTES, CONNECTION_TRAFFIC_ATTRIBUTES, type NetworkConnection } from './events.js';

/**
 * Per-connection checks and reads over the attribute lists, each compiled once into a function of plain property reads
 * (`c.duration`, `c.src_bytes`, …). Walking a name list (`c[name]`) or `for…in` turns every read into a generic
 * keyed lookup that V8 cannot specialise: the 38-attribute negative check took 4–6 µs per connection that way
 * and 0.15–0.2 µs compiled, on every connection normalize, correlate and onnx-score see. The names are this
 * module's own constants, checked against the identifier pattern before any code is built from them.
 */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function compile<F>(param: string, names: readonly string[], head: string, body: (name: string, i: number) => string, tail: string): F {
  for (const name of names) if (!IDENTIFIER.test(name)) throw new Error(`connection attribute ${JSON.stringify(name)} is not an identifier`);
  return new Function(param, `${head}\n${names.map(body).join('\n')}\n${tail}`) as F;
}

const stringAttributes: readonly string[] = CONNECTION_STRING_ATTRIBUTES;
const NUMERIC_ATTRIBUTES = CONNECTION_ATTRIBUTES.filter((a) => !stringAttributes.includes(a));

/** The first of the 38 numeric NSL-KDD attributes that is a negative number, if any. */
export const firstNegativeAttribute: (c: NetworkConnection) => string | undefined = compile(
  'c',
  NUMERIC_ATTRIBUTES,
  '',
  (a) => `if (typeof c.${a} === 'number' && c.${a} < 0) return '${a}';`,
  'return undefined;',
);

/** True when all 19 traffic attributes are finite numbers (the sensor computed them). */
export const hasTrafficAttributes: (c: NetworkConnection) => boolean = compile(
  'c',
  CONNECTION_TRAFFIC_ATTRIBUTES,
  '',
  (a) => `if (typeof c.${a} !== 'number' || !Number.isFinite(c.${a})) return false;`,
  'return true;',
);

/** The traffic attributes that are not finite numbers (for the error that names them). */
export function missingTrafficAttributes(c: NetworkConnection): string[] {
  return CONNECTION_TRAFFIC_ATTRIBUTES.filter((a) => !(typeof c[a] === 'number' && Number.isFinite(c[a])));
}

/**
 * The rows' values as one column per NSL-KDD attribute, in dataset order (`CONNECTION_ATTRIBUTES`): the
 * model's input tensors and the drift window's histograms are built from these, one row read once.
 */
export const attributeColumns: (rows: readonly Pick<NetworkConnection, (typeof CONNECTION_ATTRIBUTES)[number]>[]) => unknown[][] = compile(
  'rows',
  CONNECTION_ATTRIBUTES,
  `const n = rows.length;\n${CONNECTION_ATTRIBUTES.map((_, i) => `const c${i} = new Array(n);`).join('\n')}\nfor (let i = 0; i < n; i++) {\nconst r = rows[i];`,
  (a, i) => `c${i}[i] = r.${a};`,
  `}\nreturn [${CONNECTION_ATTRIBUTES.map((_, i) => `c${i}`).join(', ')}];`,
);
