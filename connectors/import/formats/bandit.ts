import { cweIds, FindingSink, severityOf, timeField, UNKNOWN_ASSET, type ParseOptions } from '../common.js';
import { JsonReader, parseJsonText } from '../json.js';

const FORMAT = 'bandit';

/**
 * Bandit JSON (`bandit -f json`): one finding per results[] entry.
 *
 * Severity (issue_severity): HIGH → high, MEDIUM → medium, LOW → low, UNDEFINED → info.
 * Asset: not in the report (`unknown` unless overridden). Time: generated_at.
 * The offending code snippet is not copied (it may contain the hard-coded secret that was flagged).
 */
export function parseBandit(text: string, opts: ParseOptions): FindingSink {
  const r = new JsonReader(FORMAT);
  const doc = r.object(parseJsonText(FORMAT, text), '$');
  const results = r.reqArray(doc, 'results', '$');
  const time = timeField(FORMAT, r.optStr(doc, 'generated_at', '$'), '$.generated_at');
  const sink = new FindingSink(FORMAT, opts);
  results.forEach((v, i) => {
    const p = `$.results[${i}]`;
    const res = r.object(v, p);
    const testId = r.str(res, 'test_id', p);
    const testName = r.optStr(res, 'test_name', p);
    const filename = r.str(res, 'filename', p);
    const line = r.reqInt(res, 'line_number', p);
    const col = r.optInt(res, 'col_offset', p);
    const issueText = r.str(res, 'issue_text', p);
    const confidence = r.optStr(res, 'issue_confidence', p);
    const cwe = r.optObject(res, 'issue_cwe', p);
    sink.add({
      key: [testId, filename, line, col, issueText],
      asset: UNKNOWN_ASSET,
      time,
      finding: {
        scanner: 'bandit',
        scanner_id: `${testId}@${filename}:${line}${col !== null ? `:${col}` : ''}`,
        rule_id: testId,
        title: testName ? `${testId}: ${testName}` : testId,
        description: issueText,
        severity: severityOf(FORMAT, 'bandit', r.str(res, 'issue_severity', p), `${p}.issue_severity`),
        cve: [],
        cwe: cwe ? cweIds([cwe.id]) : [],
        location: filename,
        line: line > 0 ? line : null,
        package: null,
        installed_version: null,
        fixed_version: null,
        url: r.optStr(res, 'more_info', p),
      },
      metadata: { confidence },
    });
  });
  return sink;
}
