import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  cefSeverity,
  escapeCefExtension,
  escapeCefHeader,
  formatStructuredData,
  octetCountingFrame,
  signWebhook,
  syslogSeverity,
  toCef,
  toSplunkHecBody,
  toSplunkHecEvent,
  toSyslog5424,
  toWebhookBody,
  truncateUtf8,
  verifyWebhookSignature,
  webhookIdempotencyKey,
} from './formatters.js';
import { makeAlert } from './testkit.js';

const FULL_CEF =
  'CEF:0|socflow|socflow|0.1.0|rule:ssh-bruteforce|SSH brute force|8|' +
  'externalId=0123456789abcdef0123456789abcdef rt=1700000000123 start=1700000000000 dhost=web-01 ' +
  'cat=brute_force msg=Many failed logins cs1=T1110,T1110.001 cs1Label=mitreTechniques ' +
  'cs2=agent-7 cs2Label=agentId cs3=rule:ssh-bruteforce cs3Label=detector cs4=ids@1.2.0 cs4Label=modelVersion ' +
  'cs5=high cs5Label=assetCriticality cs6=Block source IP cs6Label=remediation cfp1=0.93 cfp1Label=score ' +
  'deviceCustomDate1=1700000001456 deviceCustomDate1Label=detectedAt flexString1=e1,e2 ' +
  'flexString1Label=evidenceEventIds flexString2={"failed":"42"} flexString2Label=metadata';

describe('toSplunkHecEvent', () => {
  it('uses event_time in seconds with the ms fraction, host, defaults for source/sourcetype', () => {
    const a = makeAlert();
    expect(toSplunkHecEvent(a)).toEqual({
      time: 1700000000.123,
      host: 'web-01',
      source: 'socflow',
      sourcetype: 'socflow:alert',
      event: a,
    });
  });

  it('honours index/source/sourcetype and serialises one event per line', () => {
    const a = makeAlert();
    const b = makeAlert({ alert_id: 'b'.repeat(32), event_time: 1700000005000 });
    const body = toSplunkHecBody([a, b], { index: 'sec', source: 'src', sourcetype: 'st' });
    const lines = body.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0].startsWith('{"time":1700000000.123,"host":"web-01","source":"src","sourcetype":"st","index":"sec","event":{"alert_id":"0123456789abcdef0123456789abcdef",')).toBe(true);
    expect(lines[1].startsWith('{"time":1700000005,')).toBe(true);
    expect(JSON.parse(lines[1]).event.alert_id).toBe('b'.repeat(32));
  });
});

describe('toCef', () => {
  it('maps every alert field to standard CEF keys', () => {
    expect(toCef(makeAlert())).toBe(FULL_CEF);
  });

  it('omits empty and null values together with their labels', () => {
    const cef = toCef(makeAlert({
      score: null, model_version: null, techniques: [], metadata: {}, remediation: '', evidence_event_ids: [],
      severity: 'critical',
    }));
    expect(cef).toBe(
      'CEF:0|socflow|socflow|0.1.0|rule:ssh-bruteforce|SSH brute force|10|' +
      'externalId=0123456789abcdef0123456789abcdef rt=1700000000123 start=1700000000000 dhost=web-01 ' +
      'cat=brute_force msg=Many failed logins cs2=agent-7 cs2Label=agentId cs3=rule:ssh-bruteforce cs3Label=detector ' +
      'cs5=high cs5Label=assetCriticality deviceCustomDate1=1700000001456 deviceCustomDate1Label=detectedAt',
    );
  });

  it('escapes \\ and | in header fields, and flattens newlines there', () => {
    expect(escapeCefHeader('a|b\\c\nd\r\ne=f')).toBe('a\\|b\\\\c d e=f');
  });

  it('escapes \\, = and newlines in extension values (| stays literal)', () => {
    expect(escapeCefExtension('k=v C:\\dir\r\nnext|pipe\nend')).toBe('k\\=v C:\\\\dir\\r\\nnext|pipe\\nend');
  });

  it('produces exact escaped output for hostile header and extension fields', () => {
    const cef = toCef(makeAlert({
      detector: 'rule:a|b=c',
      title: 'Pipe | back\\slash\nnewline',
      description: 'x=1|y\\z\r\nline2',
      host: 'h=1',
      techniques: [], score: null, model_version: null, metadata: {}, evidence_event_ids: [],
      remediation: 'a\\=b', agent_id: 'agent', asset_criticality: 'low', severity: 'medium',
    }), { vendor: 'Ven|dor', version: '1\\2' });
    expect(cef).toBe(
      'CEF:0|Ven\\|dor|socflow|1\\\\2|rule:a\\|b=c|Pipe \\| back\\\\slash newline|5|' +
      'externalId=0123456789abcdef0123456789abcdef rt=1700000000123 start=1700000000000 dhost=h\\=1 ' +
      'cat=brute_force msg=x\\=1|y\\\\z\\r\\nline2 cs2=agent cs2Label=agentId cs3=rule:a|b\\=c cs3Label=detector ' +
      'cs5=low cs5Label=assetCriticality cs6=a\\\\\\=b cs6Label=remediation ' +
      'deviceCustomDate1=1700000001456 deviceCustomDate1Label=detectedAt',
    );
    // exactly 7 unescaped pipes delimit the 8 header parts
    const header = cef.slice(0, cef.indexOf('|externalId='));
    expect(header.split(/(?<!\\)\|/)).toHaveLength(7);
  });

  it('maps severities', () => {
    expect(['critical', 'high', 'medium', 'low', 'info', 'weird'].map(cefSeverity)).toEqual([10, 8, 5, 3, 1, 5]);
    expect(['critical', 'high', 'medium', 'low', 'info', 'weird'].map(syslogSeverity)).toEqual([2, 3, 4, 5, 6, 4]);
  });
});

describe('toSyslog5424', () => {
  const base = { appName: 'socflow', hostname: 'sensor-1', facility: 16, severity: 3, timestamp: 1700000001456 };

  it('builds <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG', () => {
    expect(toSyslog5424('CEF:0|x', { ...base, procId: '42', msgId: 'alert' }))
      .toBe('<131>1 2023-11-14T22:13:21.456Z sensor-1 socflow 42 alert - CEF:0|x');
  });

  it('uses NILVALUE for missing fields, sanitises header fields, computes PRI', () => {
    expect(toSyslog5424('m', { ...base, facility: 4, severity: 2, hostname: 'my host', appName: '' }))
      .toBe('<34>1 2023-11-14T22:13:21.456Z my_host - - - - m');
    expect(toSyslog5424('m', { ...base, facility: 23, severity: 7 }).startsWith('<191>1 ')).toBe(true);
    expect(() => toSyslog5424('m', { ...base, facility: 24 })).toThrow(RangeError);
    expect(() => toSyslog5424('m', { ...base, severity: 8 })).toThrow(RangeError);
  });

  it('renders structured data with escaped param values', () => {
    expect(formatStructuredData([{ id: 'socflow@32473', params: { alert_id: 'a1', note: 'q"b\\c]d' } }]))
      .toBe('[socflow@32473 alert_id="a1" note="q\\"b\\\\c\\]d"]');
    expect(() => formatStructuredData([{ id: 'bad id', params: {} }])).toThrow(RangeError);
  });
});

describe('truncateUtf8 / octetCountingFrame', () => {
  it('leaves short messages untouched', () => {
    expect(truncateUtf8('hello', 5).toString()).toBe('hello');
  });

  it('never splits a multi-byte character', () => {
    // "é" is 2 bytes, "€" is 3 bytes
    expect(truncateUtf8('aé', 2).toString()).toBe('a');
    expect(truncateUtf8('a€b', 3).toString()).toBe('a');
    expect(truncateUtf8('a€b', 4).toString()).toBe('a€');
    expect(truncateUtf8('😀x', 3).length).toBe(0);
  });

  it('does not leave a dangling CEF escape', () => {
    expect(truncateUtf8('ab\\=cd', 3).toString()).toBe('ab'); // would end in a lone "\"
    expect(truncateUtf8('ab\\\\cd', 4).toString()).toBe('ab\\\\'); // escaped backslash kept whole
    expect(truncateUtf8('ab\\\\\\=', 5).toString()).toBe('ab\\\\');
  });

  it('frames with the byte length, not the character length', () => {
    expect(octetCountingFrame('café').toString()).toBe('5 café');
    expect(octetCountingFrame('').toString()).toBe('0 ');
  });
});

describe('webhook', () => {
  const secret = 'k'.repeat(32);

  it('body is deterministic JSON with the alerts', () => {
    const a = makeAlert();
    expect(toWebhookBody([a])).toBe(JSON.stringify({ alerts: [a] }));
  });

  it('signs "<timestamp>.<body>" with HMAC-SHA256', () => {
    const body = '{"alerts":[]}';
    const h = signWebhook(body, secret, 1700000000);
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(h).toEqual({ 'X-Socflow-Signature': `sha256=${expected}`, 'X-Socflow-Timestamp': '1700000000' });
    expect(verifyWebhookSignature({ body, secret, signature: h['X-Socflow-Signature'], timestamp: '1700000000', nowSec: 1700000010 })).toBe(true);
    expect(verifyWebhookSignature({ body: `${body} `, secret, signature: h['X-Socflow-Signature'], timestamp: '1700000000', nowSec: 1700000010 })).toBe(false);
    expect(verifyWebhookSignature({ body, secret: 'x'.repeat(32), signature: h['X-Socflow-Signature'], timestamp: '1700000000', nowSec: 1700000010 })).toBe(false);
    // outside the replay window
    expect(verifyWebhookSignature({ body, secret, signature: h['X-Socflow-Signature'], timestamp: '1700000000', nowSec: 1700001000 })).toBe(false);
  });

  it('idempotency key: alert_id for one alert, order-independent sha256 for a batch', () => {
    const a = makeAlert({ alert_id: 'aaa' });
    const b = makeAlert({ alert_id: 'bbb' });
    expect(webhookIdempotencyKey([a])).toBe('aaa');
    // sha256("aaa\nbbb")
    const k = webhookIdempotencyKey([b, a]);
    expect(k).toBe(webhookIdempotencyKey([a, b]));
    expect(k).toBe('f62677b0cf3c886e32d8bd5c6d95860d0af79de15382e48b5b0770d65592870c');
  });
});
