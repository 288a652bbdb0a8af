import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { services } from '../../test/kit.js';
import { stackContext } from './context.js';
import { formatStorage, kafkaClasspath, serverProperties } from './kafka.js';

describe('formatStorage', () => {
  services(); // the stack's start fetched the Kafka jars this runs

  it('formats with a cluster id that begins with "-" (base64url allows it; as a separate argument it read as an option)', () => {
    const ctx = stackContext(() => undefined);
    const dir = mkdtempSync(join(tmpdir(), 'socflow-kafka-format-'));
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const config = join(dir, 'server.properties');
    writeFileSync(config, serverProperties(ctx, dataDir));
    formatStorage(kafkaClasspath(ctx), [], config, '-AbCdEfGhIjKlMnOpQrStU');
    expect(readFileSync(join(dataDir, 'meta.properties'), 'utf8')).toMatch(/^cluster\.id=-AbCdEfGhIjKlMnOpQrStU$/m);
  }, 60_000);
});
