import { cveIds, cweIds, firstLine, FindingSink, severityOf, timeField, UNKNOWN_ASSET, type ParseOptions } from '../common.js';
import { JsonReader, parseJsonText, type JsonObject } from '../json.js';
import { severityFromCvss } from '../severity.js';
import type { Severity } from '../types.js';

const FORMAT = 'sarif';

/**
 * SARIF 2.1.0: one finding per result of every run.
 *
 * - Skipped: results with kind `pass` or `notApplicable` (not findings) and baselineState `absent`
 *   (no longer present).
 * - Severity: a numeric `security-severity` property (result, then rule) is a CVSS score
 *   (≥9 critical, ≥7 high, ≥4 medium, >0 low, 0 info); otherwise result.level, then the rule's
 *   defaultConfiguration.level, then the SARIF default (`warning`, or `none` when kind is not
 *   `fail`): error→high, warning→medium, note→low, none→info.
 * - rule_id: ruleId, rule.id, or the id of the rule at ruleIndex / rule.index; without any rule
 *   reference, the message text (first line).
 * - Asset: versionControlProvenance[0].repositoryUri, else the first invocation's working
 *   directory, else `unknown`. Time: the first invocation's endTimeUtc / startTimeUtc.
 */
export function parseSarif(text: string, opts: ParseOptions): FindingSink {
  const r = new JsonReader(FORMAT);
  const doc = r.object(parseJsonText(FORMAT, text), '$');
  const version = r.str(doc, 'version', '$');
  if (version !== '2.1.0') r.fail('$.version', `unsupported SARIF version ${JSON.stringify(version)} (expected "2.1.0")`);
  const runs = r.reqArray(doc, 'runs', '$');
  const sink = new FindingSink(FORMAT, opts);

  runs.forEach((runValue, runIndex) => {
    const runPath = `$.runs[${runIndex}]`;
    const run = r.object(runValue, runPath);
    const tool = r.reqObject(run, 'tool', runPath);
    const driver = r.reqObject(tool, 'driver', `${runPath}.tool`);
    const driverPath = `${runPath}.tool.driver`;
    const toolName = r.str(driver, 'name', driverPath);
    const toolVersion = r.optStr(driver, 'semanticVersion', driverPath) ?? r.optStr(driver, 'version', driverPath);

    // rules: by index (driver) and by id (driver + extensions)
    interface RuleEntry {
      rule: JsonObject;
      path: string;
    }
    const readRules = (owner: JsonObject, ownerPath: string): RuleEntry[] =>
      r.optArray(owner, 'rules', ownerPath).map((v, i) => ({ rule: r.object(v, `${ownerPath}.rules[${i}]`), path: `${ownerPath}.rules[${i}]` }));
    const driverRules = readRules(driver, driverPath);
    const rulesById = new Map<string, RuleEntry>();
    const addRules = (rules: RuleEntry[]) =>
      rules.forEach((entry) => {
        const id = r.str(entry.rule, 'id', entry.path);
        if (!rulesById.has(id)) rulesById.set(id, entry);
      });
    addRules(driverRules);
    r.optArray(tool, 'extensions', `${runPath}.tool`).forEach((ext, i) => {
      const p = `${runPath}.tool.extensions[${i}]`;
      addRules(readRules(r.object(ext, p), p));
    });
    const artifacts = r.optArray(run, 'artifacts', runPath);

    // asset and time
    let asset = UNKNOWN_ASSET;
    const vcp = r.optArray(run, 'versionControlProvenance', runPath);
    if (vcp.length > 0) {
      const v0 = r.object(vcp[0], `${runPath}.versionControlProvenance[0]`);
      asset = r.optStr(v0, 'repositoryUri', `${runPath}.versionControlProvenance[0]`) ?? asset;
    }
    let time: number | null = null;
    const invocations = r.optArray(run, 'invocations', runPath);
    if (invocations.length > 0) {
      const ip = `${runPath}.invocations[0]`;
      const inv = r.object(invocations[0], ip);
      time =
        timeField(FORMAT, r.optStr(inv, 'endTimeUtc', ip), `${ip}.endTimeUtc`) ??
        timeField(FORMAT, r.optStr(inv, 'startTimeUtc', ip), `${ip}.startTimeUtc`);
      const wd = r.optObject(inv, 'workingDirectory', ip);
      if (asset === UNKNOWN_ASSET && wd) asset = r.optStr(wd, 'uri', `${ip}.workingDirectory`) ?? asset;
    }

    const results = r.optArray(run, 'results', runPath);
    results.forEach((resValue, resIndex) => {
      const p = `${runPath}.results[${resIndex}]`;
      const res = r.object(resValue, p);
      const kind = r.optStr(res, 'kind', p) ?? 'fail';
      if (kind === 'pass' || kind === 'notApplicable') return;
      const baselineState = r.optStr(res, 'baselineState', p);
      if (baselineState === 'absent') return;

      const message = r.reqObject(res, 'message', p);
      let messageText = r.optStr(message, 'text', `${p}.message`) ?? r.optStr(message, 'markdown', `${p}.message`);
      const messageId = r.optStr(message, 'id', `${p}.message`);

      // rule resolution
      const ruleRef = r.optObject(res, 'rule', p);
      let entry: RuleEntry | null = null;
      let ruleId = r.optStr(res, 'ruleId', p) ?? (ruleRef ? r.optStr(ruleRef, 'id', `${p}.rule`) : null);
      const ruleIndex = r.optInt(res, 'ruleIndex', p) ?? (ruleRef ? r.optInt(ruleRef, 'index', `${p}.rule`) : null);
      if (ruleIndex !== null && ruleIndex >= 0) {
        if (ruleIndex >= driverRules.length) r.fail(`${p}.ruleIndex`, `rule index ${ruleIndex} out of range (${driverRules.length} rules)`);
        entry = driverRules[ruleIndex];
        ruleId ??= r.str(entry.rule, 'id', entry.path);
      }
      if (entry === null && ruleId !== null) {
        entry = rulesById.get(ruleId) ?? rulesById.get(ruleId.split('/')[0]) ?? null;
      }
      const rule = entry?.rule ?? null;
      const rp = entry?.path ?? '';
      if (messageText === null && messageId !== null && rule) {
        // message by reference: rule.messageStrings[id].text with {n} placeholders from message.arguments
        const strings = r.optObject(rule, 'messageStrings', rp);
        const ms = strings ? r.optObject(strings, messageId, `${rp}.messageStrings`) : null;
        const template = ms ? r.optStr(ms, 'text', `${rp}.messageStrings`) : null;
        if (template !== null) {
          const args = r.strList(message, 'arguments', `${p}.message`);
          messageText = template.replace(/\{(\d+)\}/g, (m0, n: string) => args[Number(n)] ?? m0);
        }
      }
      const ruleProps = rule ? r.optObject(rule, 'properties', rp) : null;
      const resProps = r.optObject(res, 'properties', p);

      // location
      const locations = r.optArray(res, 'locations', p);
      const locKeys: unknown[] = [];
      let location: string | null = null;
      let line: number | null = null;
      locations.forEach((lv, li) => {
        const lp = `${p}.locations[${li}]`;
        const loc = r.object(lv, lp);
        const phys = r.optObject(loc, 'physicalLocation', lp);
        let uri: string | null = null;
        let region: JsonObject | null = null;
        if (phys) {
          const pp = `${lp}.physicalLocation`;
          const al = r.optObject(phys, 'artifactLocation', pp);
          if (al) {
            uri = r.optStr(al, 'uri', `${pp}.artifactLocation`);
            const ai = r.optInt(al, 'index', `${pp}.artifactLocation`);
            if (uri === null && ai !== null && ai < artifacts.length) {
              const art = r.object(artifacts[ai], `${runPath}.artifacts[${ai}]`);
              const artLoc = r.optObject(art, 'location', `${runPath}.artifacts[${ai}]`);
              if (artLoc) uri = r.optStr(artLoc, 'uri', `${runPath}.artifacts[${ai}].location`);
            }
          }
          region = r.optObject(phys, 'region', pp);
        }
        const logical = r.optArray(loc, 'logicalLocations', lp).map((x, k) => {
          const lo = r.object(x, `${lp}.logicalLocations[${k}]`);
          return r.optStr(lo, 'fullyQualifiedName', `${lp}.logicalLocations[${k}]`) ?? r.optStr(lo, 'name', `${lp}.logicalLocations[${k}]`);
        });
        const rg = region
          ? ['startLine', 'startColumn', 'endLine', 'endColumn', 'charOffset', 'byteOffset'].map((k) => r.optInt(region!, k, `${lp}.physicalLocation.region`))
          : [];
        locKeys.push([uri, rg, logical]);
        if (li === 0) {
          location = uri ?? logical.find((x) => x !== null) ?? null;
          line = region ? r.optInt(region, 'startLine', `${lp}.physicalLocation.region`) : null;
        }
      });

      // severity
      let severity: Severity;
      const secSev = securitySeverity(resProps) ?? securitySeverity(ruleProps);
      if (secSev !== null) {
        severity = severityFromCvss(secSev);
      } else {
        let level = r.optStr(res, 'level', p);
        if (level === null && rule) {
          const dc = r.optObject(rule, 'defaultConfiguration', rp);
          if (dc) level = r.optStr(dc, 'level', `${rp}.defaultConfiguration`);
        }
        level ??= kind === 'fail' ? 'warning' : 'none';
        severity = severityOf(FORMAT, 'sarif', level, `${p}.level`);
      }

      // texts
      const text = (o: JsonObject | null, key: string): string | null => {
        if (!o) return null;
        const v = o[key];
        if (typeof v === 'object' && v !== null && typeof (v as JsonObject).text === 'string') {
          const s = ((v as JsonObject).text as string).trim();
          return s === '' ? null : s;
        }
        return null;
      };
      const ruleName = rule && typeof rule.name === 'string' && rule.name.trim() !== '' ? rule.name : null;
      const title = text(rule, 'shortDescription') ?? ruleName ?? (messageText ? firstLine(messageText) : null) ?? ruleId ?? toolName;
      const description = messageText?.trim() ? messageText.trim() : text(rule, 'fullDescription');
      const helpText = text(rule, 'help');
      const url =
        (rule ? (typeof rule.helpUri === 'string' && rule.helpUri !== '' ? rule.helpUri : null) : null) ??
        (helpText && /^https?:\/\/\S+$/.test(helpText) ? helpText : null);

      // CWE / CVE from tags, cwe properties and CWE taxonomy relationships
      const tags = [...tagList(ruleProps), ...tagList(resProps)];
      const cweCandidates: unknown[] = tags.filter((t) => /cwe/i.test(t));
      for (const props of [ruleProps, resProps]) {
        if (!props) continue;
        const c = props.cwe ?? props.CWE;
        if (Array.isArray(c)) cweCandidates.push(...c);
        else if (c !== undefined) cweCandidates.push(c);
      }
      if (rule && Array.isArray(rule.relationships)) {
        for (const rel of rule.relationships as unknown[]) {
          const target = typeof rel === 'object' && rel !== null ? ((rel as JsonObject).target as JsonObject | undefined) : undefined;
          const tc = target && typeof target.toolComponent === 'object' && target.toolComponent !== null ? (target.toolComponent as JsonObject) : null;
          if (target && tc && typeof tc.name === 'string' && /^cwe$/i.test(tc.name) && (typeof target.id === 'string' || typeof target.id === 'number')) {
            cweCandidates.push(String(target.id));
          }
        }
      }

      const fingerprints = r.optObject(res, 'fingerprints', p);
      const partial = r.optObject(res, 'partialFingerprints', p);
      const guid = r.optStr(res, 'guid', p) ?? r.optStr(res, 'correlationGuid', p);
      const fpEntries = Object.entries(fingerprints ?? partial ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const effectiveRuleId = ruleId ?? (messageText ? firstLine(messageText) : messageId ?? toolName);
      const scannerId =
        guid ??
        (fpEntries.length > 0 ? `${effectiveRuleId}:${fpEntries.map(([k, v]) => `${k}=${String(v)}`).join(',')}` : null) ??
        `${effectiveRuleId}@${location ?? ''}${line !== null ? `:${line}` : ''}`;

      const suppressions = r.optArray(res, 'suppressions', p);
      sink.add({
        key: [runIndex, toolName, guid, ruleId, ruleIndex, locKeys, fingerprints, partial, messageText, messageId, resProps],
        asset,
        time,
        finding: {
          scanner: toolName.trim().toLowerCase(),
          scanner_id: scannerId,
          rule_id: effectiveRuleId,
          title,
          description,
          severity,
          cve: cveIds(ruleId, ...tags),
          cwe: cweIds(cweCandidates),
          location,
          line,
          package: null,
          installed_version: null,
          fixed_version: null,
          url,
        },
        metadata: {
          tool: toolName,
          tool_version: toolVersion,
          kind: kind === 'fail' ? null : kind,
          baseline_state: baselineState,
          suppressed: suppressions.length > 0 ? 'true' : null,
        },
      });
    });
  });
  return sink;
}

function securitySeverity(props: JsonObject | null): number | null {
  if (!props) return null;
  const v = props['security-severity'];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

function tagList(props: JsonObject | null): string[] {
  if (!props || !Array.isArray(props.tags)) return [];
  return (props.tags as unknown[]).filter((t): t is string => typeof t === 'string');
}
