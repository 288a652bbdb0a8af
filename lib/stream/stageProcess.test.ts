import { describe, expect, it } from 'vitest';
import { stageProcessEnv } from './stageProcess.js';

describe('stageProcessEnv', () => {
  it('holds malloc to two arenas and passes the caller\'s environment and the stage\'s own', () => {
    const env = stageProcessEnv({ SOCFLOW_TOPIC_PREFIX: 't.' }, { PATH: '/bin', KAFKA_BROKERS: 'b:9092' });
    expect(env).toMatchObject({ MALLOC_ARENA_MAX: '2', PATH: '/bin', KAFKA_BROKERS: 'b:9092', SOCFLOW_TOPIC_PREFIX: 't.', LOG_LEVEL: 'warn' });
    expect(env.NODE_OPTIONS).toBe('--max-semi-space-size=8');
  });

  it('adds the young-generation size to NODE_OPTIONS the caller gave, unless it sets its own', () => {
    expect(stageProcessEnv({ NODE_OPTIONS: '--import=/p.js' }, {}).NODE_OPTIONS).toBe('--import=/p.js --max-semi-space-size=8');
    expect(stageProcessEnv({}, { NODE_OPTIONS: '--max-semi-space-size=32' }).NODE_OPTIONS).toBe('--max-semi-space-size=32');
  });

  it('keeps an arena count the caller or the stage set', () => {
    expect(stageProcessEnv({}, { MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX).toBe('8');
    expect(stageProcessEnv({ MALLOC_ARENA_MAX: '1' }, { MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX).toBe('1');
  });
});
