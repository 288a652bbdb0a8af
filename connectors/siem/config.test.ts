import { describe, expect, it } from 'vitest';
import { SiemConfigError, createSiemSinks, parseSiemConfig, redactSiemConfig } from './config.js';

function issues(env: Record<string, string>): string[] {
  try {
    parseSiemConfig(env);
  } catch (e) {
    if (e instanceof SiemConfigError) return e.issues;
    throw e;
  }
  return [];
}

const SECRET = 'w'.repeat(32);

describe('parseSiemConfig', () => {
  it('no SIEM variables -> no sinks, default retry policy', () => {
    const c = parseSiemConfig({});
    expect(c.splunk).toBeUndefined();
    expect(c.syslog).toBeUndefined();
    expect(c.webhook).toBeUndefined();
    expect(c.retry).toEqual({ maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 30_000, maxRetryAfterMs: 60_000, onExhausted: 'throw' });
    expect(createSiemSinks(c)).toEqual([]);
  });

  it('parses a full configuration with defaults', () => {
    const c = parseSiemConfig({
      SIEM_SPLUNK_URL: 'https://splunk.example:8088',
      SIEM_SPLUNK_TOKEN: 'hec-token',
      SIEM_SPLUNK_INDEX: 'security',
      SIEM_SYSLOG_HOST: '10.0.0.5',
      SIEM_SYSLOG_PROTOCOL: 'UDP',
      SIEM_SYSLOG_FACILITY: 'authpriv',
      SIEM_SYSLOG_HOSTNAME: 'socflow-1',
      SIEM_SYSLOG_SD_ID: 'socflow@32473',
      SIEM_WEBHOOK_URL: 'http://soar.internal/hooks/socflow',
      SIEM_WEBHOOK_SECRET: SECRET,
      SIEM_RETRY_MAX_ATTEMPTS: '3',
      SIEM_RETRY_ON_EXHAUSTED: 'dead-letter',
      PATH: '/usr/bin',
    });
    expect(c.splunk).toEqual({
      url: 'https://splunk.example:8088', token: 'hec-token', index: 'security', sourcetype: 'socflow:alert',
      source: 'socflow', timeoutMs: 10_000, maxBatchSize: 100,
    });
    expect(c.syslog).toEqual({
      protocol: 'udp', host: '10.0.0.5', port: 514, facility: 10, appName: 'socflow', hostname: 'socflow-1',
      procId: '-', msgId: 'alert', sdId: 'socflow@32473', maxMessageBytes: 8192, timeoutMs: 5000, maxBatchSize: 100,
    });
    expect(c.webhook).toEqual({ url: 'http://soar.internal/hooks/socflow', secret: SECRET, timeoutMs: 10_000, maxBatchSize: 50 });
    expect(c.retry.maxAttempts).toBe(3);
    expect(c.retry.onExhausted).toBe('dead-letter');
    expect(createSiemSinks(c).map((s) => s.name)).toEqual(['splunk-hec', 'syslog-udp', 'webhook']);
    const red = redactSiemConfig(c);
    expect(red.splunk!.token).toBe('[redacted]');
    expect(red.webhook!.secret).toBe('[redacted]');
    expect(JSON.stringify(red)).not.toContain(SECRET);
    expect(c.splunk!.token).toBe('hec-token'); // original untouched
  });

  it('gives precise errors, all at once, without echoing secrets', () => {
    const got = issues({
      SIEM_SPLUNK_URL: 'ftp://splunk',
      SIEM_SYSLOG_HOST: 'syslog.local',
      SIEM_SYSLOG_PORT: '70000',
      SIEM_SYSLOG_PROTOCOL: 'tls',
      SIEM_SYSLOG_FACILITY: 'local9',
      SIEM_SYSLOG_MAX_MESSAGE_BYTES: '100',
      SIEM_WEBHOOK_URL: 'not a url',
      SIEM_WEBHOOK_SECRET: 'short-secret',
    });
    expect(got).toEqual([
      'SIEM_SPLUNK_URL must be an http(s) URL (got scheme "ftp:")',
      'SIEM_SPLUNK_TOKEN is required when SIEM_SPLUNK_URL is set',
      'SIEM_SYSLOG_PROTOCOL must be "tcp" or "udp" (got "tls")',
      'SIEM_SYSLOG_PORT must be an integer between 1 and 65535 (got "70000")',
      'SIEM_SYSLOG_FACILITY must be 0..23 or one of kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, audit, alert, clock, local0, local1, local2, local3, local4, local5, local6, local7 (got "local9")',
      'SIEM_SYSLOG_MAX_MESSAGE_BYTES must be an integer between 480 and 65507 (got "100")',
      'SIEM_WEBHOOK_URL must be an http(s) URL (got "not a url")',
      'SIEM_WEBHOOK_SECRET must be at least 32 characters long',
    ]);
    expect(got.join('\n')).not.toContain('short-secret');
  });

  it('rejects credentials in URLs, orphan settings, and bad retry bounds', () => {
    expect(issues({
      SIEM_SPLUNK_URL: 'https://admin:pw@splunk:8088',
      SIEM_SPLUNK_TOKEN: 't',
      SIEM_WEBHOOK_SECRET: SECRET,
      SIEM_SYSLOG_PORT: '514',
      SIEM_RETRY_BASE_DELAY_MS: '5000',
      SIEM_RETRY_MAX_DELAY_MS: '100',
    })).toEqual([
      'SIEM_SPLUNK_URL must not embed credentials; use the token/secret variables',
      'SIEM_SYSLOG_PORT is set but SIEM_SYSLOG_HOST is not',
      'SIEM_WEBHOOK_SECRET is set but SIEM_WEBHOOK_URL is not',
      'SIEM_RETRY_MAX_DELAY_MS (100) must be >= SIEM_RETRY_BASE_DELAY_MS (5000)',
    ]);
  });

  it('validates HEC channel GUIDs and syslog SD-IDs; warns on unknown SIEM_* variables', () => {
    expect(issues({ SIEM_SPLUNK_URL: 'http://s:8088', SIEM_SPLUNK_TOKEN: 't', SIEM_SPLUNK_CHANNEL: 'abc' }))
      .toEqual(['SIEM_SPLUNK_CHANNEL must be a GUID (got "abc")']);
    expect(issues({ SIEM_SYSLOG_HOST: 'h', SIEM_SYSLOG_SD_ID: 'socflow' }))
      .toEqual(['SIEM_SYSLOG_SD_ID must look like name@<private enterprise number>, e.g. socflow@32473 (got "socflow")']);
    const c = parseSiemConfig({ SIEM_SPLUNK_URL: 'http://s:8088', SIEM_SPLUNK_TOKEN: 't', SIEM_SPLUNK_TOKN: 'typo' });
    expect(c.warnings).toEqual(['unknown variable SIEM_SPLUNK_TOKN ignored']);
  });
});
