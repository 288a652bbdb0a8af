import { cveIds, cweIds, firstLine, FindingSink, severityOf, UNKNOWN_ASSET, type ParseOptions } from '../common.js';
import { JsonReader, parseJsonText } from '../json.js';

const FORMAT = 'semgrep';

/**
 * Semgrep JSON (`semgrep --json`): one finding per results[] entry.
 *
 * Severity (extra.severity): ERROR → high, WARNING → medium, INFO → low (as Semgrep's own SARIF
 * output does: INFO → note → low); newer CRITICAL/HIGH/MEDIUM/LOW one to one; INVENTORY/EXPERIMENT → info.
 * Absent severity is taken as INFO.
 * Asset: not in the report (`unknown` unless overridden). Time: not in the report (fallback).
 */
export function parseSemgrep(text: string, opts: ParseOptions): FindingSink {
  const r = new JsonReader(FORMAT);
  const doc = r.object(parseJsonText(FORMAT, text), '$');
  const results = r.reqArray(doc, 'results', '$');
  const version = r.optStr(doc, 'version', '$');
  const sink = new FindingSink(FORMAT, opts);
  results.forEach((v, i) => {
    const p = `$.results[${i}]`;
    const res = r.object(v, p);
    const checkId = r.str(res, 'check_id', p);
    const path = r.str(res, 'path', p);
    const start = r.reqObject(res, 'start', p);
    const end = r.optObject(res, 'end', p);
    const line = r.reqInt(start, 'line', `${p}.start`);
    const col = r.optInt(start, 'col', `${p}.start`);
    const endLine = end ? r.optInt(end, 'line', `${p}.end`) : null;
    const endCol = end ? r.optInt(end, 'col', `${p}.end`) : null;
    const extra = r.reqObject(res, 'extra', p);
    const message = r.optStr(extra, 'message', `${p}.extra`);
    const metadata = r.optObject(extra, 'metadata', `${p}.extra`) ?? {};
    const mp = `${p}.extra.metadata`;
    const fingerprint = r.optStr(extra, 'fingerprint', `${p}.extra`);
    const usableFingerprint = fingerprint && fingerprint !== 'requires login' ? fingerprint : null;
    const cweRaw = metadata.cwe;
    const cweList = Array.isArray(cweRaw) ? cweRaw : cweRaw === undefined ? [] : [cweRaw];
    const refs = r.strList(metadata, 'references', mp);
    const cveRaw = metadata.cve;
    sink.add({
      key: [checkId, path, line, col, endLine, endCol, usableFingerprint],
      asset: UNKNOWN_ASSET,
      time: null,
      finding: {
        scanner: 'semgrep',
        scanner_id: usableFingerprint ?? `${checkId}@${path}:${line}${col !== null ? `:${col}` : ''}`,
        rule_id: checkId,
        title: message ? firstLine(message) : checkId,
        description: message?.trim() || null,
        severity: severityOf(FORMAT, 'semgrep', r.optStr(extra, 'severity', `${p}.extra`) ?? 'INFO', `${p}.extra.severity`),
        cve: cveIds(...(Array.isArray(cveRaw) ? cveRaw.filter((x): x is string => typeof x === 'string') : typeof cveRaw === 'string' ? [cveRaw] : [])),
        cwe: cweIds(cweList),
        location: path,
        line: line > 0 ? line : null,
        package: null,
        installed_version: null,
        fixed_version: null,
        url: r.optStr(metadata, 'source-rule-url', mp) ?? r.optStr(metadata, 'shortlink', mp) ?? refs[0] ?? null,
      },
      metadata: {
        semgrep_version: version,
        confidence: typeof metadata.confidence === 'string' ? metadata.confidence : null,
        owasp: typeof metadata.owasp === 'string' ? metadata.owasp : Array.isArray(metadata.owasp) ? metadata.owasp.join('; ') : null,
      },
    });
  });
  return sink;
}
