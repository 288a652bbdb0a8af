import { type Codec, codecFor, type CodecOptions } from '../serde/codecs.js';
import { DecodeError } from '../serde/avro.js';
import { SchemaRegistryClient } from '../serde/registry.js';
import { loadTopicCatalog, topicSpec } from '../topics/catalog.js';
import type { Decoded, Decoder } from './stage.js';

/**
 * `codec.decode(bytes)` as a decoder's result, `wrap`ped: an undecodable record becomes its DecodeError's reason;
 * synchronous whenever the codec is.
 */
export function decodeWith<T, R>(codec: Pick<Codec<T>, 'decode'>, bytes: Buffer, wrap: (value: T) => R): Decoded<R> | Promise<Decoded<R>> {
  const ok = (value: T): Decoded<R> => ({ ok: true, value: wrap(value) });
  try {
    const value = codec.decode(bytes);
    return value instanceof Promise ? value.then(ok, undecodable) : ok(value);
  } catch (err) {
    return undecodable(err);
  }
}

function undecodable(err: unknown): Decoded<never> {
  // A registry outage is not the record's fault: rethrow so the batch is retried, not dead-lettered.
  if (err instanceof DecodeError && err.reason !== 'registry_unavailable') return { ok: false, reason: err.reason, error: err.message };
  throw err;
}

/** A decoder for the catalog topic's Avro value; undecodable bytes become a dead letter with the reason. */
export async function avroDecoder<T>(logicalTopic: string, registry = new SchemaRegistryClient(), options: CodecOptions = {}): Promise<Decoder<T>> {
  const codec: Codec<T> = await codecFor<T>(registry, topicSpec(loadTopicCatalog(), logicalTopic), options);
  return (bytes) => decodeWith(codec, bytes, (value) => value);
}

/** Decoders for several input topics of one stage, chosen by the record's topic. */
export async function avroDecoders<T>(logicalTopics: string[]): Promise<Decoder<T>> {
  const catalog = loadTopicCatalog();
  const registry = new SchemaRegistryClient();
  const byName = new Map<string, Decoder<T>>();
  for (const t of logicalTopics) byName.set(topicSpec(catalog, t).name, await avroDecoder<T>(t, registry));
  return (bytes, topic) => byName.get(topic)!(bytes, topic);
}
