import { describe, expect, it } from 'vitest';
import { stageProcessEnv } from './stageProcess.js';

describe('stageProcessEnv', () => {
  it('holds malloc to two arenas and passes the caller\'s environment and the stage\'s own', () => {
    const env = stageProcessEnv({ SOCFLOW_TOPIC_PREFIX: 't.' }, { PATH: '/bin', KAFKA_BROKERS: 'b:9092' });
    expect(env).toMatchObject({ MALLOC_ARENA_MAX: '2', PATH: '/bin', KAFKA_BROKERS: 'b:9092', SOCFLOW_TOPIC_PREFIX: 't.', LOG_LEVEL: 'warn' });
  });

  it('keeps an arena count the caller or the stage set', () => {
    expect(stageProcessEnv({}, { MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX).toBe('8');
    expect(stageProcessEnv({ MALLOC_ARENA_MAX: '1' }, { MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX).toBe('1');
  });
});
