import { cveIds, FindingSink, meaningfulAsset, severityOf, timeField, UNKNOWN_ASSET, type ParseOptions } from '../common.js';
import { JsonReader, parseJsonText, type JsonObject } from '../json.js';

const FORMAT = 'grype';

/**
 * Grype JSON (`grype -o json`): one finding per matches[] entry (vulnerability × artifact).
 *
 * Severity (vulnerability.severity): Critical/High/Medium/Low one to one, Negligible and Unknown → info.
 * Asset: source.target — the image's userInput for image sources, the path for directory/file
 * sources (`unknown` for a bare `.`). Time: descriptor.timestamp when present.
 */
export function parseGrype(text: string, opts: ParseOptions): FindingSink {
  const r = new JsonReader(FORMAT);
  const doc = r.object(parseJsonText(FORMAT, text), '$');
  const matches = r.reqArray(doc, 'matches', '$');
  const source = r.optObject(doc, 'source', '$');
  let asset = UNKNOWN_ASSET;
  if (source) {
    const t = source.target;
    if (typeof t === 'string') asset = meaningfulAsset(t) ?? asset;
    else if (typeof t === 'object' && t !== null && !Array.isArray(t)) {
      const to = t as JsonObject;
      asset = meaningfulAsset(r.optStr(to, 'userInput', '$.source.target') ?? r.optStr(to, 'imageID', '$.source.target')) ?? asset;
    }
  }
  const descriptor = r.optObject(doc, 'descriptor', '$');
  const time = descriptor ? timeField(FORMAT, r.optStr(descriptor, 'timestamp', '$.descriptor'), '$.descriptor.timestamp') : null;
  const version = descriptor ? r.optStr(descriptor, 'version', '$.descriptor') : null;
  const sink = new FindingSink(FORMAT, opts);
  matches.forEach((mv, i) => {
    const p = `$.matches[${i}]`;
    const m = r.object(mv, p);
    const vuln = r.reqObject(m, 'vulnerability', p);
    const vp = `${p}.vulnerability`;
    const art = r.reqObject(m, 'artifact', p);
    const ap = `${p}.artifact`;
    const id = r.str(vuln, 'id', vp);
    const name = r.str(art, 'name', ap);
    const version_ = r.str(art, 'version', ap, false);
    const locations = r.optArray(art, 'locations', ap).map((lv, li) => {
      const l = r.object(lv, `${ap}.locations[${li}]`);
      return r.optStr(l, 'path', `${ap}.locations[${li}]`);
    }).filter((x): x is string => x !== null);
    const related = r.optArray(m, 'relatedVulnerabilities', p).map((rv, ri) => r.object(rv, `${p}.relatedVulnerabilities[${ri}]`));
    const relatedIds = related.map((rv, ri) => r.str(rv, 'id', `${p}.relatedVulnerabilities[${ri}]`));
    const fix = r.optObject(vuln, 'fix', vp);
    const fixVersions = fix ? r.strList(fix, 'versions', `${vp}.fix`) : [];
    const urls = r.strList(vuln, 'urls', vp);
    const description =
      r.optStr(vuln, 'description', vp) ??
      related.map((rv, ri) => r.optStr(rv, 'description', `${p}.relatedVulnerabilities[${ri}]`)).find((d) => d !== null) ??
      null;
    const purl = r.optStr(art, 'purl', ap);
    const type = r.optStr(art, 'type', ap);
    sink.add({
      key: [id, name, version_, type, purl, locations],
      asset,
      time,
      finding: {
        scanner: 'grype',
        scanner_id: `${id}/${name}@${version_}`,
        rule_id: id,
        title: `${id} in ${name}@${version_}`,
        description,
        severity: severityOf(FORMAT, 'grype', r.optStr(vuln, 'severity', vp) ?? 'Unknown', `${vp}.severity`),
        cve: cveIds(id, ...relatedIds),
        cwe: [],
        location: locations[0] ?? null,
        line: null,
        package: name,
        installed_version: version_ === '' ? null : version_,
        fixed_version: fixVersions.length > 0 ? fixVersions.join(', ') : null,
        url: r.optStr(vuln, 'dataSource', vp) ?? urls[0] ?? null,
      },
      metadata: {
        grype_version: version,
        package_type: type,
        purl,
        fix_state: fix ? r.optStr(fix, 'state', `${vp}.fix`) : null,
        namespace: r.optStr(vuln, 'namespace', vp),
      },
    });
  });
  return sink;
}
