import { type Codec, codecFor } from '../serde/codecs.js';
import { DecodeError } from '../serde/avro.js';
import { SchemaRegistryClient } from '../serde/registry.js';
import { loadTopicCatalog, topicSpec } from '../topics/catalog.js';
import type { Decoder } from './stage.js';

/** A decoder for the catalog topic's Avro value; undecodable bytes become a dead letter with the reason. */
export async function avroDecoder<T>(logicalTopic: string, registry = new SchemaRegistryClient()): Promise<Decoder<T>> {
  const codec: Codec<T> = await codecFor<T>(registry, topicSpec(loadTopicCatalog(), logicalTopic));
  return async (bytes) => {
    try {
      return { ok: true, value: await codec.decode(bytes) };
    } catch (err) {
      // A registry outage is not the record's fault: rethrow so the batch is retried, not dead-lettered.
      if (err instanceof DecodeError && err.reason !== 'registry_unavailable') return { ok: false, reason: err.reason, error: err.message };
      throw err;
    }
  };
}

/** Decoders for several input topics of one stage, chosen by the record's topic. */
export async function avroDecoders<T>(logicalTopics: string[]): Promise<Decoder<T>> {
  const catalog = loadTopicCatalog();
  const registry = new SchemaRegistryClient();
  const byName = new Map<string, Decoder<T>>();
  for (const t of logicalTopics) byName.set(topicSpec(catalog, t).name, await avroDecoder<T>(t, registry));
  return (bytes, topic) => byName.get(topic)!(bytes, topic);
}
