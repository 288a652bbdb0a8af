import { ImportError } from '../errors.js';
import { cweIds, firstUrl, FindingSink, htmlToText, parseIsoTime, parseZapGenerated, severityOf, timeField, urlHost, type ParseOptions } from '../common.js';
import { JsonReader, parseJsonText, type JsonObject } from '../json.js';
import { mapSeverity } from '../severity.js';
import { childElement, childElements, elementPath, parseXml, textContent, XmlError, type XmlElement } from '../xml.js';

const FORMAT = 'zap';

/** One ZAP alert item, read from either the XML or the JSON report. */
interface ZapAlert {
  /** Computed only on error (element paths are not free to build). */
  where: (suffix?: string) => string;
  pluginId: string;
  alertRef: string | null;
  name: string;
  riskcode: string;
  confidence: string | null;
  desc: string | null;
  solution: string | null;
  reference: string | null;
  otherinfo: string | null;
  cweid: string | null;
  wascid: string | null;
  instances: Array<{ uri: string; method: string | null; param: string | null; attack: string | null; evidence: string | null }>;
}
interface ZapSite {
  name: string;
  host: string | null;
  port: string | null;
  alerts: ZapAlert[];
}

/**
 * OWASP ZAP traditional reports, XML (`OWASPZAPReport`) or JSON (`@version`/`site[]`), chosen by
 * the first character. One finding per alert item; its instances are its locations (location = the
 * first instance URI, all distinct instance URIs in metadata.instance_uris as JSON).
 *
 * Severity: riskcode 3 → high, 2 → medium, 1 → low, 0 → info (ZAP has no critical).
 * Asset: the site's host (with the port when it is not the scheme default).
 * Time: `created` (ISO, newer ZAP), else `generated` (ZAP writes local time without a zone; taken as UTC).
 */
export function parseZap(text: string, opts: ParseOptions): FindingSink {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = body.trimStart()[0];
  let sites: ZapSite[];
  let time: number | null;
  let version: string | null;
  if (first === '<') ({ sites, time, version } = readXml(body));
  else if (first === '{') ({ sites, time, version } = readJson(body));
  else throw new ImportError(FORMAT, 'line 1, column 1', 'expected a ZAP XML (<OWASPZAPReport>) or JSON report');

  const sink = new FindingSink(FORMAT, opts);
  for (const site of sites) {
    const parsed = urlHost(site.name);
    const hostName = site.host ?? parsed?.host ?? site.name;
    let asset = parsed?.asset ?? hostName;
    if (site.host && site.port) {
      const defaultPort = /^https:/i.test(site.name) ? '443' : /^http:/i.test(site.name) ? '80' : null;
      asset = site.port === defaultPort ? site.host : `${site.host}:${site.port}`;
    }
    for (const a of site.alerts) {
      const severity = mapSeverity('zap', a.riskcode) ?? severityOf(FORMAT, 'zap', a.riskcode, a.where('/riskcode'));
      const uris = [...new Set(a.instances.map((i) => i.uri))];
      const description = [htmlToText(a.desc), a.solution ? `Solution: ${htmlToText(a.solution)}` : null, htmlToText(a.otherinfo)]
        .filter((x) => x !== null)
        .join('\n') || null;
      sink.add({
        key: [
          site.name,
          a.pluginId,
          a.alertRef,
          a.name,
          a.riskcode,
          a.confidence,
          a.instances.map((i) => [i.uri, i.method, i.param, i.attack, i.evidence]),
        ],
        asset,
        host: hostName,
        time,
        finding: {
          scanner: 'zap',
          scanner_id: a.alertRef ?? a.pluginId,
          rule_id: a.pluginId,
          title: a.name,
          description,
          severity,
          cve: [],
          cwe: cweIds([a.cweid]),
          location: uris[0] ?? site.name,
          line: null,
          package: null,
          installed_version: null,
          fixed_version: null,
          url: firstUrl(a.reference),
        },
        metadata: {
          zap_version: version,
          site: site.name,
          confidence: a.confidence,
          wascid: a.wascid,
          instance_count: a.instances.length,
          instance_uris: uris.length > 0 ? JSON.stringify(uris.slice(0, 200)) : null,
        },
      });
    }
  }
  return sink;
}

function readXml(text: string): { sites: ZapSite[]; time: number | null; version: string | null } {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (e) {
    if (e instanceof XmlError) throw new ImportError(FORMAT, `line ${e.line}, column ${e.column}`, `malformed XML: ${e.detail}`);
    throw e;
  }
  if (root.local !== 'OWASPZAPReport') throw new ImportError(FORMAT, `/${root.name} (line ${root.line})`, 'root element is not <OWASPZAPReport>');
  const where = (el: XmlElement, suffix = '') => `${elementPath(el)}${suffix} (line ${el.line})`;
  const need = (el: XmlElement, local: string): string => {
    const c = childElement(el, local);
    if (c === null) throw new ImportError(FORMAT, where(el, `/${local}`), `missing <${local}>`);
    const t = textContent(c).trim();
    if (t === '') throw new ImportError(FORMAT, where(c), `empty <${local}>`);
    return t;
  };
  const opt = (el: XmlElement, local: string): string | null => {
    const c = childElement(el, local);
    if (c === null) return null;
    const t = textContent(c).trim();
    return t === '' ? null : t;
  };
  const created = root.attrs.created ?? null;
  const time =
    timeField(FORMAT, created, where(root, '/@created'), parseIsoTime) ??
    timeField(FORMAT, root.attrs.generated ?? null, where(root, '/@generated'), parseZapGenerated);
  const sites = childElements(root, 'site').map((s): ZapSite => {
    const name = s.attrs.name;
    if (!name) throw new ImportError(FORMAT, where(s, '/@name'), 'missing site name attribute');
    const alertsEl = childElement(s, 'alerts');
    const items = alertsEl ? childElements(alertsEl, 'alertitem') : [];
    return {
      name,
      host: s.attrs.host || null,
      port: s.attrs.port || null,
      alerts: items.map((it) => {
        const instancesEl = childElement(it, 'instances');
        const instances = (instancesEl ? childElements(instancesEl, 'instance') : []).map((inst) => ({
          uri: need(inst, 'uri'),
          method: opt(inst, 'method'),
          param: opt(inst, 'param'),
          attack: opt(inst, 'attack'),
          evidence: opt(inst, 'evidence'),
        }));
        const name = opt(it, 'name') ?? need(it, 'alert');
        return {
          where: (suffix = '') => where(it, suffix),
          pluginId: need(it, 'pluginid'),
          alertRef: opt(it, 'alertRef'),
          name,
          riskcode: need(it, 'riskcode'),
          confidence: opt(it, 'confidence'),
          desc: opt(it, 'desc'),
          solution: opt(it, 'solution'),
          reference: opt(it, 'reference'),
          otherinfo: opt(it, 'otherinfo'),
          cweid: opt(it, 'cweid'),
          wascid: opt(it, 'wascid'),
          instances,
        };
      }),
    };
  });
  return { sites, time, version: root.attrs.version ?? null };
}

function readJson(text: string): { sites: ZapSite[]; time: number | null; version: string | null } {
  const r = new JsonReader(FORMAT);
  const doc = r.object(parseJsonText(FORMAT, text), '$');
  if (!('site' in doc)) r.fail('$.site', 'missing required array (not a ZAP traditional JSON report?)');
  // ZAP writes a single site as an object in some versions
  const siteValues = Array.isArray(doc.site) ? doc.site : [r.object(doc.site, '$.site')];
  const time =
    timeField(FORMAT, r.optStr(doc, 'created', '$'), '$.created', parseIsoTime) ??
    timeField(FORMAT, r.optStr(doc, '@generated', '$'), '$["@generated"]', parseZapGenerated);
  const sites = siteValues.map((sv, si): ZapSite => {
    const sp = Array.isArray(doc.site) ? `$.site[${si}]` : '$.site';
    const s = r.object(sv, sp);
    return {
      name: r.str(s, '@name', sp),
      host: r.optStr(s, '@host', sp),
      port: r.optId(s, '@port', sp),
      alerts: r.optArray(s, 'alerts', sp).map((av, ai) => {
        const p = `${sp}.alerts[${ai}]`;
        const a: JsonObject = r.object(av, p);
        return {
          where: (suffix = '') => p + suffix.replace(/^\//, '.'),
          pluginId: r.id(a, 'pluginid', p),
          alertRef: r.optId(a, 'alertRef', p),
          name: r.optStr(a, 'name', p) ?? r.str(a, 'alert', p),
          riskcode: r.id(a, 'riskcode', p),
          confidence: r.optId(a, 'confidence', p),
          desc: r.optStr(a, 'desc', p),
          solution: r.optStr(a, 'solution', p),
          reference: r.optStr(a, 'reference', p),
          otherinfo: r.optStr(a, 'otherinfo', p),
          cweid: r.optId(a, 'cweid', p),
          wascid: r.optId(a, 'wascid', p),
          instances: r.optArray(a, 'instances', p).map((iv, ii) => {
            const ip = `${p}.instances[${ii}]`;
            const inst = r.object(iv, ip);
            return {
              uri: r.str(inst, 'uri', ip),
              method: r.optStr(inst, 'method', ip),
              param: r.optStr(inst, 'param', ip),
              attack: r.optStr(inst, 'attack', ip),
              evidence: r.optStr(inst, 'evidence', ip),
            };
          }),
        };
      }),
    };
  });
  return { sites, time, version: r.optStr(doc, '@version', '$') };
}
