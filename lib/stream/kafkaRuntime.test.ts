import { afterEach, describe, expect, it } from 'vitest';
import { groupLiveness } from './kafkaRuntime.js';

const saved = process.env.SOCFLOW_KAFKA_SESSION_TIMEOUT_MS;
afterEach(() => {
  if (saved === undefined) delete process.env.SOCFLOW_KAFKA_SESSION_TIMEOUT_MS;
  else process.env.SOCFLOW_KAFKA_SESSION_TIMEOUT_MS = saved;
});

describe('groupLiveness (the session settings of every runtime)', () => {
  it('defaults to a 30 s session with 3 s heartbeats', () => {
    delete process.env.SOCFLOW_KAFKA_SESSION_TIMEOUT_MS;
    expect(groupLiveness()).toEqual({ sessionTimeout: 30_000, heartbeatInterval: 3000 });
  });

  it('heartbeats at a third of a short session', () => {
    process.env.SOCFLOW_KAFKA_SESSION_TIMEOUT_MS = '7000';
    expect(groupLiveness()).toEqual({ sessionTimeout: 7000, heartbeatInterval: 2333 });
  });

  it("refuses a session below the broker's floor with the setting's name", () => {
    process.env.SOCFLOW_KAFKA_SESSION_TIMEOUT_MS = '5000';
    expect(() => groupLiveness()).toThrow('SOCFLOW_KAFKA_SESSION_TIMEOUT_MS must be an integer between 6000 and 300000, got "5000"');
  });
});
