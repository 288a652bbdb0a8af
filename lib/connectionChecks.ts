import { CONNECTION_ATTRIBUTES, CONNECTION_STRING_ATTRIBUTES, CONNECTION_TRAFFIC_ATTRIBUTES, type NetworkConnection } from './events.js';

/**
 * Per-connection checks over the attribute lists, each compiled once into a function of plain property reads
 * (`c.duration`, `c.src_bytes`, …). Walking a name list (`c[name]`) or `for…in` turns every read into a generic
 * keyed lookup that V8 cannot specialise: the 38-attribute negative check took 4–6 µs per connection that way
 * and 0.15–0.2 µs compiled, on every connection normalize, correlate and onnx-score see. The names are this
 * module's own constants, checked against the identifier pattern before any code is built from them.
 */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function compile<F>(names: readonly string[], body: (name: string) => string, tail: string): F {
  for (const name of names) if (!IDENTIFIER.test(name)) throw new Error(`connection attribute ${JSON.stringify(name)} is not an identifier`);
  return new Function('c', names.map(body).join('\n') + `\n${tail}`) as F;
}

const stringAttributes: readonly string[] = CONNECTION_STRING_ATTRIBUTES;
const NUMERIC_ATTRIBUTES = CONNECTION_ATTRIBUTES.filter((a) => !stringAttributes.includes(a));

/** The first of the 38 numeric NSL-KDD attributes that is a negative number, if any. */
export const firstNegativeAttribute: (c: NetworkConnection) => string | undefined = compile(
  NUMERIC_ATTRIBUTES,
  (a) => `if (typeof c.${a} === 'number' && c.${a} < 0) return '${a}';`,
  'return undefined;',
);

/** True when all 19 traffic attributes are finite numbers (the sensor computed them). */
export const hasTrafficAttributes: (c: NetworkConnection) => boolean = compile(
  CONNECTION_TRAFFIC_ATTRIBUTES,
  (a) => `if (typeof c.${a} !== 'number' || !Number.isFinite(c.${a})) return false;`,
  'return true;',
);

/** The traffic attributes that are not finite numbers (for the error that names them). */
export function missingTrafficAttributes(c: NetworkConnection): string[] {
  return CONNECTION_TRAFFIC_ATTRIBUTES.filter((a) => !(typeof c[a] === 'number' && Number.isFinite(c[a])));
}
