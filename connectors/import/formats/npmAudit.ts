import { cweIds, FindingSink, severityOf, UNKNOWN_ASSET, type ParseOptions } from '../common.js';
import { JsonReader, keyPath, parseJsonText } from '../json.js';

const FORMAT = 'npm-audit';

/**
 * npm audit JSON for npm 7+ (`npm audit --json`, auditReportVersion 2): one finding per vulnerable
 * package (each key of `vulnerabilities`).
 *
 * Severity: critical/high/low/info one to one, moderate → medium.
 * rule_id: the GitHub advisory ids (GHSA-…) the package is directly affected by, comma-joined in
 * report order; a package vulnerable only through dependencies gets `via:<dep>,<dep>`.
 * installed_version is not in the report (null); the vulnerable range is in the description.
 * fixed_version: fixAvailable.version when the fix is an upgrade of this same package.
 * Asset and time are not in the report (`unknown` / fallback).
 */
export function parseNpmAudit(text: string, opts: ParseOptions): FindingSink {
  const r = new JsonReader(FORMAT);
  const doc = r.object(parseJsonText(FORMAT, text), '$');
  const version = doc.auditReportVersion;
  if (version !== 2) {
    r.fail('$.auditReportVersion', `expected auditReportVersion 2 (npm 7+), found ${JSON.stringify(version ?? null)}${'advisories' in doc ? ' (npm 6 format is not supported)' : ''}`);
  }
  const vulns = r.reqObject(doc, 'vulnerabilities', '$');
  const sink = new FindingSink(FORMAT, opts);
  for (const key of Object.keys(vulns)) {
    const p = keyPath('$.vulnerabilities', key);
    const v = r.object(vulns[key], p);
    const name = r.optStr(v, 'name', p) ?? key;
    const range = r.optStr(v, 'range', p);
    const nodes = r.strList(v, 'nodes', p);
    const isDirect = r.optBool(v, 'isDirect', p);
    const advisories: Array<{ id: string; source: string | null; title: string | null; url: string | null; cwe: string[] }> = [];
    const viaPackages: string[] = [];
    r.optArray(v, 'via', p).forEach((via, i) => {
      const vp = `${p}.via[${i}]`;
      if (typeof via === 'string') {
        viaPackages.push(via);
        return;
      }
      const a = r.object(via, vp);
      const url = r.optStr(a, 'url', vp);
      const source = r.optId(a, 'source', vp);
      const ghsa = url ? /GHSA(-[0-9a-z]{4}){3}/i.exec(url)?.[0] ?? null : null;
      const id = ghsa ?? (source ? `npm-advisory-${source}` : null);
      if (id === null) r.fail(`${vp}.url`, 'advisory has neither a GHSA url nor a source id');
      advisories.push({ id: id!, source, title: r.optStr(a, 'title', vp), url, cwe: r.strList(a, 'cwe', vp) });
    });
    const fix = v.fixAvailable;
    let fixedVersion: string | null = null;
    let fixText: string | null = null;
    if (fix === true) fixText = 'A fix is available (npm audit fix).';
    else if (fix === false || fix === undefined || fix === null) fixText = fix === false ? 'No fix available.' : null;
    else {
      const f = r.object(fix, `${p}.fixAvailable`);
      const fname = r.str(f, 'name', `${p}.fixAvailable`);
      const fversion = r.str(f, 'version', `${p}.fixAvailable`);
      const major = r.optBool(f, 'isSemVerMajor', `${p}.fixAvailable`);
      if (fname === name) fixedVersion = fversion;
      fixText = `Fix: upgrade ${fname} to ${fversion}${major ? ' (semver-major)' : ''}.`;
    }
    const ruleId = advisories.length > 0 ? [...new Set(advisories.map((a) => a.id))].join(',') : `via:${viaPackages.join(',')}`;
    const title =
      advisories.length > 0
        ? advisories.length === 1 && advisories[0].title
          ? advisories[0].title
          : `${name}: ${advisories.length} advisories`
        : `${name} is vulnerable through ${viaPackages.join(', ') || 'its dependencies'}`;
    const description = [
      ...advisories.map((a) => `${a.id}: ${a.title ?? ''}`.trim()),
      viaPackages.length > 0 ? `Vulnerable through: ${viaPackages.join(', ')}` : null,
      range ? `Vulnerable versions: ${range}` : null,
      fixText,
    ]
      .filter((x) => x !== null)
      .join('\n');
    sink.add({
      key: [name, nodes, advisories.map((a) => [a.id, a.source]), viaPackages],
      asset: UNKNOWN_ASSET,
      time: null,
      finding: {
        scanner: 'npm-audit',
        scanner_id: `${name}:${advisories.map((a) => a.source ?? a.id).join(',') || `via:${viaPackages.join(',')}`}`,
        rule_id: ruleId,
        title,
        description: description || null,
        severity: severityOf(FORMAT, 'npm-audit', r.str(v, 'severity', p), `${p}.severity`),
        cve: [],
        cwe: cweIds(advisories.flatMap((a) => a.cwe)),
        location: nodes.length > 0 ? nodes.join(', ') : null,
        line: null,
        package: name,
        installed_version: null,
        fixed_version: fixedVersion,
        url: advisories.find((a) => a.url)?.url ?? null,
      },
      metadata: { direct: isDirect === null ? null : String(isDirect), vulnerable_range: range },
    });
  }
  return sink;
}
