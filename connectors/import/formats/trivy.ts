import { cveIds, cweIds, FindingSink, meaningfulAsset, severityOf, timeField, UNKNOWN_ASSET, type ParseOptions } from '../common.js';
import { JsonReader, parseJsonText } from '../json.js';

const FORMAT = 'trivy';

/**
 * Trivy JSON, SchemaVersion 2 (`trivy image|fs|repo|config --format json`). Every entry of
 * Results[].Vulnerabilities, Results[].Misconfigurations (Status FAIL only; PASS/EXCEPTION are not
 * findings) and Results[].Secrets is one finding.
 *
 * Severity: CRITICAL/HIGH/MEDIUM/LOW map one to one, UNKNOWN → info.
 * Asset: ArtifactName (`unknown` for a bare `.` filesystem target). Time: CreatedAt (newer Trivy), else the caller's fallback.
 * Secret values are never copied (Trivy already masks Match; it is not used).
 */
export function parseTrivy(text: string, opts: ParseOptions): FindingSink {
  const r = new JsonReader(FORMAT);
  const doc = r.object(parseJsonText(FORMAT, text), '$');
  const schema = doc.SchemaVersion;
  if (schema !== 2) r.fail('$.SchemaVersion', `expected Trivy JSON SchemaVersion 2, found ${JSON.stringify(schema ?? null)}`);
  const asset = meaningfulAsset(r.optStr(doc, 'ArtifactName', '$')) ?? UNKNOWN_ASSET;
  const artifactType = r.optStr(doc, 'ArtifactType', '$');
  const time = timeField(FORMAT, r.optStr(doc, 'CreatedAt', '$'), '$.CreatedAt');
  const sink = new FindingSink(FORMAT, opts);

  r.optArray(doc, 'Results', '$').forEach((rv, ri) => {
    const rp = `$.Results[${ri}]`;
    const res = r.object(rv, rp);
    const target = r.str(res, 'Target', rp);
    const cls = r.optStr(res, 'Class', rp);
    const type = r.optStr(res, 'Type', rp);

    r.optArray(res, 'Vulnerabilities', rp).forEach((vv, vi) => {
      const p = `${rp}.Vulnerabilities[${vi}]`;
      const v = r.object(vv, p);
      const id = r.str(v, 'VulnerabilityID', p);
      const pkg = r.str(v, 'PkgName', p);
      const installed = r.optStr(v, 'InstalledVersion', p);
      const pkgPath = r.optStr(v, 'PkgPath', p);
      const pkgId = r.optStr(v, 'PkgID', p);
      const refs = r.strList(v, 'References', p);
      sink.add({
        key: ['vuln', target, id, pkg, pkgId, installed, pkgPath],
        asset,
        time,
        finding: {
          scanner: 'trivy',
          scanner_id: `${id}/${pkg}@${installed ?? ''}`,
          rule_id: id,
          title: r.optStr(v, 'Title', p) ?? `${id} in ${pkg}`,
          description: r.optStr(v, 'Description', p),
          severity: severityOf(FORMAT, 'trivy', r.optStr(v, 'Severity', p) ?? 'UNKNOWN', `${p}.Severity`),
          cve: cveIds(id),
          cwe: cweIds(r.strList(v, 'CweIDs', p)),
          location: pkgPath ?? target,
          line: null,
          package: pkg,
          installed_version: installed,
          fixed_version: r.optStr(v, 'FixedVersion', p),
          url: r.optStr(v, 'PrimaryURL', p) ?? refs[0] ?? null,
        },
        metadata: { kind: 'vulnerability', target, class: cls, type, artifact_type: artifactType, status: r.optStr(v, 'Status', p) },
      });
    });

    r.optArray(res, 'Misconfigurations', rp).forEach((mv, mi) => {
      const p = `${rp}.Misconfigurations[${mi}]`;
      const m = r.object(mv, p);
      const status = r.optStr(m, 'Status', p) ?? 'FAIL';
      if (status !== 'FAIL') return;
      const id = r.optStr(m, 'AVDID', p) ?? r.str(m, 'ID', p);
      const checkId = r.optStr(m, 'ID', p) ?? id;
      const cause = r.optObject(m, 'CauseMetadata', p);
      const startLine = cause ? r.optInt(cause, 'StartLine', `${p}.CauseMetadata`) : null;
      const endLine = cause ? r.optInt(cause, 'EndLine', `${p}.CauseMetadata`) : null;
      const resource = cause ? r.optStr(cause, 'Resource', `${p}.CauseMetadata`) : null;
      const message = r.optStr(m, 'Message', p);
      const description = [r.optStr(m, 'Description', p), message, r.optStr(m, 'Resolution', p)].filter((x) => x !== null).join('\n') || null;
      const refs = r.strList(m, 'References', p);
      sink.add({
        key: ['misconfig', target, id, checkId, resource, startLine, endLine, message],
        asset,
        time,
        finding: {
          scanner: 'trivy',
          scanner_id: `${checkId}@${target}${startLine !== null ? `:${startLine}` : ''}`,
          rule_id: checkId,
          title: r.optStr(m, 'Title', p) ?? checkId,
          description,
          severity: severityOf(FORMAT, 'trivy', r.optStr(m, 'Severity', p) ?? 'UNKNOWN', `${p}.Severity`),
          cve: [],
          cwe: [],
          location: target,
          line: startLine,
          package: null,
          installed_version: null,
          fixed_version: null,
          url: r.optStr(m, 'PrimaryURL', p) ?? refs[0] ?? null,
        },
        metadata: { kind: 'misconfiguration', target, class: cls, type, artifact_type: artifactType, check_type: r.optStr(m, 'Type', p) },
      });
    });

    r.optArray(res, 'Secrets', rp).forEach((sv, si) => {
      const p = `${rp}.Secrets[${si}]`;
      const s = r.object(sv, p);
      const ruleId = r.str(s, 'RuleID', p);
      const startLine = r.optInt(s, 'StartLine', p);
      const endLine = r.optInt(s, 'EndLine', p);
      const category = r.optStr(s, 'Category', p);
      sink.add({
        key: ['secret', target, ruleId, startLine, endLine],
        asset,
        time,
        finding: {
          scanner: 'trivy',
          scanner_id: `${ruleId}@${target}${startLine !== null ? `:${startLine}` : ''}`,
          rule_id: ruleId,
          title: r.optStr(s, 'Title', p) ?? ruleId,
          description: category ? `Secret of category ${category} found in ${target}` : `Secret found in ${target}`,
          severity: severityOf(FORMAT, 'trivy', r.optStr(s, 'Severity', p) ?? 'UNKNOWN', `${p}.Severity`),
          cve: [],
          cwe: [],
          location: target,
          line: startLine,
          package: null,
          installed_version: null,
          fixed_version: null,
          url: null,
        },
        metadata: { kind: 'secret', target, class: cls, artifact_type: artifactType, category },
      });
    });
  });
  return sink;
}
