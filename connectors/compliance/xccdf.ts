/**
 * Reader for OpenSCAP results: an XCCDF 1.1/1.2 results document (a Benchmark holding one or more
 * TestResult elements, `oscap xccdf eval --results`) or an ARF report collection
 * (`--results-arf`), where Benchmarks sit in the data stream of the report request and each
 * TestResult in an arf:report. Elements are matched by local name within the XCCDF namespaces.
 */
import { ImportError } from '../import/errors.js';
import { parseIsoTime } from '../import/common.js';
import {
  attr,
  childElement,
  childElements,
  descendants,
  elementPath,
  parseXml,
  textContent,
  XmlError,
  type XmlElement,
} from '../import/xml.js';

const FORMAT = 'openscap';

/** XCCDF rule-result kinds (XCCDF 1.2 §6.6.4.2). */
export const RESULT_KINDS = [
  'pass',
  'fail',
  'error',
  'unknown',
  'notapplicable',
  'notchecked',
  'notselected',
  'informational',
  'fixed',
] as const;
export type ResultKind = (typeof RESULT_KINDS)[number];

/** XCCDF severity values. */
export type XccdfSeverity = 'unknown' | 'info' | 'low' | 'medium' | 'high';
const XCCDF_SEVERITIES: readonly string[] = ['unknown', 'info', 'low', 'medium', 'high'];

export interface XccdfIdent {
  system: string | null;
  value: string;
}

export interface XccdfRule {
  id: string;
  title: string | null;
  description: string | null;
  severity: XccdfSeverity | null;
  idents: XccdfIdent[];
  /** Reference hrefs (or texts when no href). */
  references: string[];
}

export interface XccdfRuleResult {
  idref: string;
  result: ResultKind;
  /** rule-result@severity, else the Rule's severity, else `unknown`. */
  severity: XccdfSeverity;
  idents: XccdfIdent[];
  /** Check content reference name (e.g. the OVAL definition id), when present. */
  check: string | null;
  rule: XccdfRule | null;
  /** Source line of the rule-result element (for messages). */
  line: number;
}

export interface XccdfTestResult {
  id: string;
  benchmark: string;
  /** Profile idref, or `(default)` when the scan used no profile. */
  profile: string;
  /** TestResult/target: the scanned host. */
  host: string;
  targetAddresses: string[];
  startTime: number | null;
  endTime: number | null;
  ruleResults: XccdfRuleResult[];
  line: number;
}

export interface XccdfDocument {
  kind: 'xccdf' | 'arf';
  testResults: XccdfTestResult[];
  rules: ReadonlyMap<string, XccdfRule>;
}

export const DEFAULT_PROFILE = '(default)';

function isXccdf(el: XmlElement): boolean {
  return el.ns === null || el.ns.startsWith('http://checklists.nist.gov/xccdf/');
}

function where(el: XmlElement, suffix = ''): string {
  return `${elementPath(el)}${suffix} (line ${el.line})`;
}

function collapse(s: string): string | null {
  const t = s.replace(/\s+/g, ' ').trim();
  return t === '' ? null : t;
}

function severityAttr(el: XmlElement): XccdfSeverity | null {
  const s = attr(el, 'severity');
  if (s === null || s === '') return null;
  if (!XCCDF_SEVERITIES.includes(s)) throw new ImportError(FORMAT, where(el, '/@severity'), `unknown XCCDF severity ${JSON.stringify(s)} (expected one of: ${XCCDF_SEVERITIES.join(', ')})`);
  return s as XccdfSeverity;
}

function idents(el: XmlElement): XccdfIdent[] {
  return childElements(el, 'ident')
    .map((i) => ({ system: attr(i, 'system'), value: textContent(i).trim() }))
    .filter((i) => i.value !== '');
}

/** Parse an XCCDF results or ARF document. Throws ImportError (format `openscap`) when malformed. */
export function readXccdf(text: string, options: { onProgress?: (elements: number) => void } = {}): XccdfDocument {
  let root: XmlElement;
  try {
    root = parseXml(text, { onProgress: options.onProgress });
  } catch (e) {
    if (e instanceof XmlError) throw new ImportError(FORMAT, `line ${e.line}, column ${e.column}`, `malformed XML: ${e.detail}`);
    throw e;
  }
  let kind: 'xccdf' | 'arf';
  if (root.local === 'asset-report-collection') kind = 'arf';
  else if ((root.local === 'Benchmark' || root.local === 'TestResult') && isXccdf(root)) kind = 'xccdf';
  else throw new ImportError(FORMAT, where(root), `root element <${root.name}> is neither an XCCDF Benchmark/TestResult nor an ARF asset-report-collection`);

  // rules of every benchmark in the document
  const rules = new Map<string, XccdfRule>();
  const benchmarks = root.local === 'Benchmark' ? [root, ...descendants(root, 'Benchmark')] : descendants(root, 'Benchmark');
  for (const b of benchmarks) {
    if (!isXccdf(b)) continue;
    for (const r of descendants(b, 'Rule')) {
      if (!isXccdf(r)) continue;
      const id = attr(r, 'id');
      if (!id) throw new ImportError(FORMAT, where(r, '/@id'), 'Rule without id');
      if (rules.has(id)) continue;
      const titleEl = childElement(r, 'title');
      const descEl = childElement(r, 'description');
      rules.set(id, {
        id,
        title: titleEl ? collapse(textContent(titleEl)) : null,
        description: descEl ? collapse(textContent(descEl)) : null,
        severity: severityAttr(r),
        idents: idents(r),
        references: childElements(r, 'reference')
          .map((ref) => attr(ref, 'href') ?? collapse(textContent(ref)))
          .filter((x): x is string => x !== null && x !== ''),
      });
    }
  }

  const testResultEls = (root.local === 'TestResult' ? [root] : descendants(root, 'TestResult', false)).filter(isXccdf);
  if (testResultEls.length === 0) {
    throw new ImportError(FORMAT, where(root), 'no <TestResult> element: this is a benchmark without scan results (use `oscap xccdf eval --results` or `--results-arf` output)');
  }
  const soleBenchmarkId = benchmarks.length === 1 ? attr(benchmarks[0], 'id') : null;

  const testResults = testResultEls.map((tr): XccdfTestResult => {
    const id = attr(tr, 'id');
    if (!id) throw new ImportError(FORMAT, where(tr, '/@id'), 'TestResult without id');
    const targetEl = childElement(tr, 'target');
    const host = targetEl ? textContent(targetEl).trim() : '';
    if (host === '') throw new ImportError(FORMAT, where(tr, '/target'), 'missing <target> (the scanned host)');
    const benchRef = childElement(tr, 'benchmark');
    let enclosing: XmlElement | null = tr.parent;
    while (enclosing !== null && enclosing.local !== 'Benchmark') enclosing = enclosing.parent;
    const benchmark =
      (benchRef ? attr(benchRef, 'id') : null) ??
      (enclosing ? attr(enclosing, 'id') : null) ??
      soleBenchmarkId ??
      (benchRef ? attr(benchRef, 'href') : null) ??
      'unknown';
    const profileEl = childElement(tr, 'profile');
    const profile = (profileEl ? attr(profileEl, 'idref') : null) || DEFAULT_PROFILE;
    const time = (name: string): number | null => {
      const v = attr(tr, name);
      if (v === null || v === '') return null;
      const t = parseIsoTime(v);
      if (t === null) throw new ImportError(FORMAT, where(tr, `/@${name}`), `invalid date-time ${JSON.stringify(v)}`);
      return t;
    };
    const ruleResults = childElements(tr, 'rule-result').map((rr): XccdfRuleResult => {
      const idref = attr(rr, 'idref');
      if (!idref) throw new ImportError(FORMAT, where(rr, '/@idref'), 'rule-result without idref');
      const resultEl = childElement(rr, 'result');
      if (resultEl === null) throw new ImportError(FORMAT, where(rr, '/result'), `missing <result> in rule-result ${idref}`);
      const result = textContent(resultEl).trim();
      if (!(RESULT_KINDS as readonly string[]).includes(result)) {
        throw new ImportError(FORMAT, where(resultEl), `unknown rule result ${JSON.stringify(result)} (expected one of: ${RESULT_KINDS.join(', ')})`);
      }
      const rule = rules.get(idref) ?? null;
      const checkEl = childElement(rr, 'check');
      const ref = checkEl ? childElement(checkEl, 'check-content-ref') : null;
      const own = idents(rr);
      return {
        idref,
        result: result as ResultKind,
        severity: severityAttr(rr) ?? rule?.severity ?? 'unknown',
        idents: own.length > 0 ? own : (rule?.idents ?? []),
        check: ref ? attr(ref, 'name') : null,
        rule,
        line: rr.line,
      };
    });
    return {
      id,
      benchmark,
      profile,
      host,
      targetAddresses: childElements(tr, 'target-address').map((a) => textContent(a).trim()).filter((a) => a !== ''),
      startTime: time('start-time'),
      endTime: time('end-time'),
      ruleResults,
      line: tr.line,
    };
  });
  return { kind, testResults, rules };
}
