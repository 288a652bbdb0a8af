import { FindingSink, UNKNOWN_ASSET, type ParseOptions } from '../common.js';
import { JsonReader, parseJsonText } from '../json.js';
import { GITLEAKS_SEVERITY } from '../severity.js';

const FORMAT = 'gitleaks';

/**
 * Gitleaks v8 JSON report (`gitleaks detect --report-format json`): an array of leaks, one finding each.
 *
 * Severity: gitleaks has none; every leak is `high` (documented choice).
 * scanner_id: the leak's Fingerprint, or gitleaks' own fingerprint form `commit:file:rule:line`.
 * The secret itself (Secret, Match) is never copied into events or hashed into ids; nor are
 * author names/e-mails. Asset and time are not in the report (`unknown` / fallback).
 */
export function parseGitleaks(text: string, opts: ParseOptions): FindingSink {
  const r = new JsonReader(FORMAT);
  const parsed = parseJsonText(FORMAT, text);
  const leaks = parsed === null ? [] : r.array(parsed, '$');
  const sink = new FindingSink(FORMAT, opts);
  leaks.forEach((v, i) => {
    const p = `$[${i}]`;
    const leak = r.object(v, p);
    const ruleId = r.str(leak, 'RuleID', p);
    const file = r.str(leak, 'File', p);
    const startLine = r.reqInt(leak, 'StartLine', p);
    const startCol = r.optInt(leak, 'StartColumn', p);
    const endLine = r.optInt(leak, 'EndLine', p);
    const endCol = r.optInt(leak, 'EndColumn', p);
    const commit = r.optStr(leak, 'Commit', p);
    const description = r.optStr(leak, 'Description', p);
    const fingerprint = r.optStr(leak, 'Fingerprint', p);
    const tags = r.strList(leak, 'Tags', p);
    sink.add({
      key: [commit, file, ruleId, startLine, startCol, endLine, endCol],
      asset: UNKNOWN_ASSET,
      time: null,
      finding: {
        scanner: 'gitleaks',
        scanner_id: fingerprint ?? (commit ? `${commit}:${file}:${ruleId}:${startLine}` : `${file}:${ruleId}:${startLine}`),
        rule_id: ruleId,
        title: description ?? ruleId,
        description: `Secret matching rule ${ruleId} found in ${file} at line ${startLine}${commit ? ` (commit ${commit})` : ''}; rotate the credential.`,
        severity: GITLEAKS_SEVERITY,
        cve: [],
        cwe: ['CWE-798'],
        location: file,
        line: startLine > 0 ? startLine : null,
        package: null,
        installed_version: null,
        fixed_version: null,
        url: null,
      },
      metadata: { commit, tags: tags.length > 0 ? tags.join(',') : null },
    });
  });
  return sink;
}
