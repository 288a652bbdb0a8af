import { cveIds, cweIds, FindingSink, severityOf, timeField, UNKNOWN_ASSET, urlHost, type ParseOptions } from '../common.js';
import { ImportError } from '../errors.js';
import { JsonReader, parseJsonText, type JsonObject } from '../json.js';

const FORMAT = 'nuclei';

/**
 * Nuclei results, either JSONL (`-jsonl`/`-json` in v2: one object per line) or a JSON array
 * (`-json-export` in v3), chosen by the first character (`[` → array). One finding per result.
 *
 * Severity (info.severity): critical/high/medium/low/info one to one, unknown → info.
 * Asset: the result's host (URL host with non-default port, or the bare host name) — per result.
 * Time: the result's own timestamp.
 */
export function parseNuclei(text: string, opts: ParseOptions): FindingSink {
  const r = new JsonReader(FORMAT);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const items: Array<{ value: unknown; path: string }> = [];
  if (body.trimStart().startsWith('[')) {
    r.array(parseJsonText(FORMAT, body), '$').forEach((value, i) => items.push({ value, path: `$[${i}]` }));
  } else {
    let lineNo = 0;
    let start = 0;
    while (start <= body.length) {
      let nl = body.indexOf('\n', start);
      if (nl === -1) nl = body.length;
      lineNo++;
      const line = body.slice(start, nl);
      if (line.trim() !== '') items.push({ value: parseJsonText(FORMAT, line, lineNo), path: `line ${lineNo}: $` });
      start = nl + 1;
    }
    if (items.length === 0 && body.trim() !== '') throw new ImportError(FORMAT, 'line 1', 'no JSON lines found');
  }
  const sink = new FindingSink(FORMAT, opts);
  for (const { value, path: p } of items) {
    const res = r.object(value, p);
    const templateId = r.str(res, 'template-id', p) ;
    const info: JsonObject = r.reqObject(res, 'info', p);
    const ip = `${p}.info`;
    const host = r.optStr(res, 'host', p);
    const matchedAt = r.optStr(res, 'matched-at', p) ?? r.optStr(res, 'matched', p);
    if (host === null && matchedAt === null) r.fail(`${p}.host`, 'missing both host and matched-at');
    const target = urlHost((host ?? matchedAt)!);
    const matcherName = r.optStr(res, 'matcher-name', p);
    const extractorName = r.optStr(res, 'extractor-name', p);
    const extracted = r.strList(res, 'extracted-results', p);
    const type = r.optStr(res, 'type', p);
    const classification = r.optObject(info, 'classification', ip);
    const cp = `${ip}.classification`;
    const refs = r.strList(info, 'reference', ip);
    const name = r.optStr(info, 'name', ip) ?? templateId;
    sink.add({
      key: [templateId, matcherName, extractorName, type, host, matchedAt, extracted],
      asset: target?.asset ?? host ?? matchedAt ?? UNKNOWN_ASSET,
      host: target?.host ?? null,
      time: timeField(FORMAT, r.optStr(res, 'timestamp', p), `${p}.timestamp`),
      finding: {
        scanner: 'nuclei',
        scanner_id: `${templateId}${matcherName ? `:${matcherName}` : ''}@${matchedAt ?? host}`,
        rule_id: templateId,
        title: matcherName ? `${name} (${matcherName})` : name,
        description: [r.optStr(info, 'description', ip), extracted.length > 0 ? `Extracted: ${extracted.join(', ')}` : null]
          .filter((x) => x !== null)
          .join('\n') || null,
        severity: severityOf(FORMAT, 'nuclei', r.optStr(info, 'severity', ip) ?? 'unknown', `${ip}.severity`),
        cve: classification ? cveIds(...r.strList(classification, 'cve-id', cp)) : [],
        cwe: classification ? cweIds(r.strList(classification, 'cwe-id', cp)) : [],
        location: matchedAt ?? host,
        line: null,
        package: null,
        installed_version: null,
        fixed_version: null,
        url: refs[0] ?? r.optStr(res, 'template-url', p),
      },
      metadata: { type, template: r.optStr(res, 'template', p), matcher_name: matcherName },
    });
  }
  return sink;
}
