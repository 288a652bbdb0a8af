/**
 * A small, strict, non-validating XML 1.0 reader for scanner reports (ZAP, XCCDF/ARF).
 *
 * Supports: elements, attributes, namespaces (prefix resolution), text, CDATA sections, comments,
 * processing instructions, the XML declaration, the five predefined entities and numeric
 * character references. A DOCTYPE without an internal subset is skipped; an internal subset
 * (entity declarations) is rejected, and so is any entity other than the predefined ones —
 * which also rules out entity-expansion attacks (XXE, "billion laughs").
 *
 * Parsing is a single forward pass with an explicit element stack (no recursion), so it is linear
 * in the input size and safe on deeply nested input. Errors carry the 1-based line and column.
 */

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export interface XmlElement {
  /** Qualified name as written, e.g. `arf:report`. */
  readonly name: string;
  /** Local part of the name, e.g. `report`. */
  readonly local: string;
  /** Namespace URI the prefix (or default namespace) resolves to; null when none. */
  readonly ns: string | null;
  /** Attributes by qualified name as written (namespace declarations included). */
  readonly attrs: Readonly<Record<string, string>>;
  /** Child nodes in document order: elements and text (text includes CDATA content). */
  readonly children: XmlNode[];
  readonly parent: XmlElement | null;
  /** 1-based line of the start tag. */
  readonly line: number;
}
export type XmlNode = XmlElement | string;

export class XmlError extends Error {
  constructor(
    readonly detail: string,
    readonly line: number,
    readonly column: number,
    readonly offset: number,
  ) {
    super(`${detail} at line ${line}, column ${column}`);
    this.name = 'XmlError';
  }
}

export interface XmlParseOptions {
  /** Called every `progressEvery` elements with the number of elements read so far. */
  onProgress?: (elements: number) => void;
  progressEvery?: number;
}

// NameStartChar / NameChar, approximated to the BMP ranges the XML 1.0 (5th ed.) grammar allows.
const NAME_START = 'A-Za-z_:\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD';
const NAME_RE = new RegExp(`[${NAME_START}][${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040]*`, 'y');
const WS_RE = /[ \t\r\n]*/y;
const ENTITY_RE = /&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z_][A-Za-z0-9._-]*);/y;
/** Shared attribute object of every element without attributes (saves memory on large documents). */
const NO_ATTRS: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

interface MutableElement {
  name: string;
  local: string;
  ns: string | null;
  attrs: Record<string, string>;
  children: XmlNode[];
  parent: XmlElement | null;
  line: number;
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Parse an XML document and return its root element. Throws XmlError on any well-formedness error. */
export function parseXml(input: string, options: XmlParseOptions = {}): XmlElement {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const len = text.length;
  let pos = 0;
  // Line tracking: advanced lazily and only forwards, caching the next newline position so every
  // character is scanned at most once overall (linear even for single-line documents).
  let lineAt = 0;
  let line = 1;
  let nextNl = text.indexOf('\n');
  const lineOf = (p: number): number => {
    if (p < lineAt) {
      // only used when reporting an error at an earlier position
      let l = 1;
      for (let i = text.indexOf('\n'); i !== -1 && i < p; i = text.indexOf('\n', i + 1)) l++;
      return l;
    }
    while (nextNl !== -1 && nextNl < p) {
      line++;
      nextNl = text.indexOf('\n', nextNl + 1);
    }
    lineAt = p;
    return line;
  };
  const fail = (detail: string, at: number = pos): never => {
    const p = Math.min(at, len);
    const l = lineOf(p);
    const lineStart = text.lastIndexOf('\n', p - 1) + 1;
    throw new XmlError(detail, l, p - lineStart + 1, p);
  };
  const describe = (p: number): string => (p >= len ? 'end of input' : JSON.stringify(text.slice(p, p + 12)));

  const skipWs = (): void => {
    WS_RE.lastIndex = pos;
    WS_RE.exec(text);
    pos = WS_RE.lastIndex;
  };
  const readName = (what: string): string => {
    NAME_RE.lastIndex = pos;
    const m = NAME_RE.exec(text);
    if (!m) fail(`expected ${what} name, found ${describe(pos)}`);
    pos = NAME_RE.lastIndex;
    return m![0];
  };
  const decode = (raw: string, at: number, inAttr: boolean): string => {
    let s = raw;
    if (s.indexOf('&') !== -1) {
      let out = '';
      let last = 0;
      for (let i = s.indexOf('&'); i !== -1; i = s.indexOf('&', last)) {
        out += s.slice(last, i);
        ENTITY_RE.lastIndex = i;
        const m = ENTITY_RE.exec(s);
        if (!m) {
          if (at + s.length >= len && s.indexOf(';', i) === -1) fail('unexpected end of input inside an entity reference', len);
          fail('malformed entity or bare "&" (escape it as &amp;)', at + i);
        }
        const ref = m![1];
        if (ref.charCodeAt(0) === 35 /* # */) {
          const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
          if (!isXmlChar(cp)) fail(`character reference &${ref}; is not a legal XML character`, at + i);
          out += String.fromCodePoint(cp);
        } else {
          const v = PREDEFINED[ref];
          if (v === undefined) fail(`unknown entity &${ref}; (only the predefined XML entities are supported)`, at + i);
          out += v;
        }
        last = ENTITY_RE.lastIndex;
      }
      s = out + s.slice(last);
    }
    if (inAttr) {
      // attribute-value normalization (XML 1.0 §3.3.3) for literal whitespace characters
      s = s.replace(/\r\n|[\t\n\r]/g, ' ');
    } else if (s.indexOf('\r') !== -1) {
      s = s.replace(/\r\n?/g, '\n');
    }
    return s;
  };

  const stack: MutableElement[] = [];
  const nsStack: Array<Map<string, string>> = [new Map([['xml', XML_NS], ['xmlns', XMLNS_NS]])];
  let root: MutableElement | null = null;
  let elementCount = 0;
  const progressEvery = options.progressEvery ?? 10000;

  const appendText = (el: MutableElement, s: string): void => {
    if (s.length === 0) return;
    const kids = el.children;
    const lastIdx = kids.length - 1;
    if (lastIdx >= 0 && typeof kids[lastIdx] === 'string') kids[lastIdx] = (kids[lastIdx] as string) + s;
    else kids.push(s);
  };

  const skipMisc = (where: 'prolog' | 'epilog'): void => {
    for (;;) {
      skipWs();
      if (text.startsWith('<!--', pos)) {
        const end = text.indexOf('-->', pos + 4);
        if (end === -1) fail('unterminated comment');
        pos = end + 3;
      } else if (text.startsWith('<?', pos)) {
        const start = pos;
        pos += 2;
        const target = readName('processing instruction');
        if (target.toLowerCase() === 'xml') fail('XML declaration is only allowed at the very start of the document', start);
        const end = text.indexOf('?>', pos);
        if (end === -1) fail('unterminated processing instruction', start);
        pos = end + 2;
      } else if (where === 'prolog' && text.startsWith('<!DOCTYPE', pos)) {
        const start = pos;
        // skip to the closing '>', honouring quoted literals; reject an internal subset
        pos += 9;
        let quote = '';
        for (;;) {
          if (pos >= len) fail('unterminated DOCTYPE', start);
          const c = text[pos];
          if (quote) {
            if (c === quote) quote = '';
          } else if (c === '"' || c === "'") quote = c;
          else if (c === '[') fail('DOCTYPE internal subsets (DTD declarations) are not supported', pos);
          else if (c === '>') break;
          pos++;
        }
        pos++;
      } else {
        return;
      }
    }
  };

  // XML declaration
  if (text.startsWith('<?xml', 0) && /[ \t\r\n?]/.test(text[5] ?? '')) {
    const end = text.indexOf('?>');
    if (end === -1) fail('unterminated XML declaration');
    const decl = text.slice(5, end);
    if (!/^\s+version\s*=\s*(["'])1\.[0-9]+\1/.test(decl)) fail('XML declaration lacks a valid version', 0);
    pos = end + 2;
  }
  skipMisc('prolog');
  if (pos >= len) fail('no root element (empty document)');
  if (text[pos] !== '<') fail(`expected the root element, found ${describe(pos)}`);

  while (pos < len) {
    const current = stack.length > 0 ? stack[stack.length - 1] : null;
    if (current === null) {
      if (root !== null) {
        skipMisc('epilog');
        if (pos < len) fail(`unexpected content after the root element: ${describe(pos)}`);
        break;
      }
    }
    const lt = text.indexOf('<', pos);
    if (current !== null) {
      const textEnd = lt === -1 ? len : lt;
      if (textEnd > pos) {
        const raw = text.slice(pos, textEnd);
        if (raw.indexOf(']]>') !== -1) fail('"]]>" is not allowed in text content', pos + raw.indexOf(']]>'));
        appendText(current, decode(raw, pos, false));
        pos = textEnd;
      }
      if (lt === -1) break;
    }
    // pos is at '<'
    const tagStart = pos;
    const next = text.charCodeAt(pos + 1);
    if (next === 47 /* / */) {
      pos += 2;
      const name = readName('end tag');
      skipWs();
      if (text[pos] !== '>') fail(`expected ">" to close end tag </${name}>, found ${describe(pos)}`);
      pos++;
      if (current === null) fail(`unexpected end tag </${name}>`, tagStart);
      if (current!.name !== name) {
        fail(`end tag </${name}> does not match start tag <${current!.name}> opened at line ${current!.line}`, tagStart);
      }
      stack.pop();
      nsStack.pop();
      continue;
    }
    if (next === 33 /* ! */) {
      if (text.startsWith('<!--', pos)) {
        const end = text.indexOf('-->', pos + 4);
        if (end === -1) fail('unterminated comment', tagStart);
        pos = end + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', pos)) {
        if (current === null) fail('CDATA section outside the root element', tagStart);
        const end = text.indexOf(']]>', pos + 9);
        if (end === -1) fail('unterminated CDATA section', tagStart);
        let content = text.slice(pos + 9, end);
        if (content.indexOf('\r') !== -1) content = content.replace(/\r\n?/g, '\n');
        appendText(current!, content);
        pos = end + 3;
        continue;
      }
      fail(`unexpected markup ${describe(pos)}`, tagStart);
    }
    if (next === 63 /* ? */) {
      pos += 2;
      const target = readName('processing instruction');
      if (target.toLowerCase() === 'xml') fail('XML declaration is only allowed at the very start of the document', tagStart);
      const end = text.indexOf('?>', pos);
      if (end === -1) fail('unterminated processing instruction', tagStart);
      pos = end + 2;
      continue;
    }
    // start tag
    pos++;
    const name = readName('element');
    let attrs: Record<string, string> = NO_ATTRS;
    let selfClosing = false;
    let declared: Map<string, string> | null = null;
    for (;;) {
      const before = pos;
      skipWs();
      const c = text[pos];
      if (c === '>') {
        pos++;
        break;
      }
      if (c === '/') {
        if (text[pos + 1] !== '>') fail(`expected "/>" in start tag <${name}>`);
        pos += 2;
        selfClosing = true;
        break;
      }
      if (pos >= len) fail(`unexpected end of input inside start tag <${name}>`, tagStart);
      if (pos === before) fail(`expected whitespace, ">" or "/>" in start tag <${name}>, found ${describe(pos)}`);
      const attrStart = pos;
      const attrName = readName('attribute');
      skipWs();
      if (text[pos] !== '=') fail(`expected "=" after attribute ${attrName}`);
      pos++;
      skipWs();
      const q = text[pos];
      if (q !== '"' && q !== "'") fail(`expected a quoted value for attribute ${attrName}`);
      const valueEnd = text.indexOf(q, pos + 1);
      if (valueEnd === -1) fail(`unterminated value of attribute ${attrName}`, attrStart);
      const raw = text.slice(pos + 1, valueEnd);
      const ltIdx = raw.indexOf('<');
      if (ltIdx !== -1) fail(`"<" is not allowed in the value of attribute ${attrName}`, pos + 1 + ltIdx);
      if (attrs === NO_ATTRS) attrs = Object.create(null) as Record<string, string>;
      else if (Object.prototype.hasOwnProperty.call(attrs, attrName)) fail(`duplicate attribute ${attrName}`, attrStart);
      const value = decode(raw, pos + 1, true);
      attrs[attrName] = value;
      pos = valueEnd + 1;
      if (attrName === 'xmlns' || attrName.startsWith('xmlns:')) {
        const prefix = attrName === 'xmlns' ? '' : attrName.slice(6);
        if (prefix === 'xmlns' || (prefix === 'xml' && value !== XML_NS)) fail(`cannot redeclare the ${prefix} prefix`, attrStart);
        if (prefix !== '' && value === '') fail(`namespace prefix ${prefix} cannot be undeclared in XML 1.0`, attrStart);
        if (declared === null) declared = new Map(nsStack[nsStack.length - 1]);
        declared.set(prefix, value);
      }
    }
    const scope = declared ?? nsStack[nsStack.length - 1];
    const colon = name.indexOf(':');
    const prefix = colon === -1 ? '' : name.slice(0, colon);
    const local = colon === -1 ? name : name.slice(colon + 1);
    if (colon !== -1 && (local.length === 0 || local.indexOf(':') !== -1 || prefix.length === 0)) fail(`malformed qualified name ${name}`, tagStart);
    let ns: string | null;
    if (prefix === '') {
      const d = scope.get('');
      ns = d === undefined || d === '' ? null : d;
    } else {
      const d = scope.get(prefix);
      if (d === undefined) fail(`namespace prefix "${prefix}" of <${name}> is not declared`, tagStart);
      ns = d!;
    }
    for (const an of Object.keys(attrs)) {
      const ac = an.indexOf(':');
      if (ac !== -1) {
        const ap = an.slice(0, ac);
        if (ap !== 'xmlns' && !scope.has(ap)) fail(`namespace prefix "${ap}" of attribute ${an} is not declared`, tagStart);
      }
    }
    const el: MutableElement = { name, local, ns, attrs, children: [], parent: current, line: lineOf(tagStart) };
    elementCount++;
    if (options.onProgress && elementCount % progressEvery === 0) options.onProgress(elementCount);
    if (current === null) {
      if (root !== null) fail('a document must have exactly one root element', tagStart);
      root = el;
    } else {
      current.children.push(el);
    }
    if (!selfClosing) {
      stack.push(el);
      nsStack.push(scope);
    } else if (current === null) {
      // self-closing root: continue to the epilog check
    }
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1];
    fail(`unexpected end of input: <${open.name}> opened at line ${open.line} is not closed`, len);
  }
  if (root === null) fail('no root element');
  return root!;
}

// ---------------------------------------------------------------------------------------------
// Navigation helpers (iterative, namespace-agnostic by local name unless a namespace is given)

export function isElement(n: XmlNode): n is XmlElement {
  return typeof n !== 'string';
}

/** Direct child elements, optionally filtered by local name. */
export function childElements(el: XmlElement, local?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) if (typeof c !== 'string' && (local === undefined || c.local === local)) out.push(c);
  return out;
}

/** First direct child element with this local name, or null. */
export function childElement(el: XmlElement, local: string): XmlElement | null {
  for (const c of el.children) if (typeof c !== 'string' && c.local === local) return c;
  return null;
}

/** All descendant elements (document order) with this local name. Does not descend into matches unless `nested`. */
export function descendants(el: XmlElement, local: string, nested = true): XmlElement[] {
  const out: XmlElement[] = [];
  // iterative pre-order traversal
  const stack: Array<{ el: XmlElement; i: number }> = [{ el, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.i >= top.el.children.length) {
      stack.pop();
      continue;
    }
    const c = top.el.children[top.i++];
    if (typeof c === 'string') continue;
    if (c.local === local) {
      out.push(c);
      if (!nested) continue;
    }
    if (c.children.length > 0) stack.push({ el: c, i: 0 });
  }
  return out;
}

/** Concatenated text of the element and all its descendants. */
export function textContent(el: XmlElement): string {
  let out = '';
  const stack: Array<{ el: XmlElement; i: number }> = [{ el, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.i >= top.el.children.length) {
      stack.pop();
      continue;
    }
    const c = top.el.children[top.i++];
    if (typeof c === 'string') out += c;
    else stack.push({ el: c, i: 0 });
  }
  return out;
}

/** Text of the first child element with this local name (null when absent). */
export function childText(el: XmlElement, local: string): string | null {
  const c = childElement(el, local);
  return c === null ? null : textContent(c);
}

/** Attribute value by local name (ignoring any prefix), or null. Unprefixed names win. */
export function attr(el: XmlElement, local: string): string | null {
  const direct = el.attrs[local];
  if (direct !== undefined) return direct;
  for (const k of Object.keys(el.attrs)) {
    const c = k.indexOf(':');
    if (c !== -1 && k.slice(c + 1) === local && !k.startsWith('xmlns:')) return el.attrs[k];
  }
  return null;
}

/** A readable path to the element, e.g. `/OWASPZAPReport/site[1]/alerts/alertitem[3]`, with sibling indexes where ambiguous. */
export function elementPath(el: XmlElement): string {
  const parts: string[] = [];
  for (let e: XmlElement | null = el; e !== null; e = e.parent) {
    const p: XmlElement | null = e.parent;
    if (p === null) {
      parts.push(e.name);
      break;
    }
    let index = 0;
    let total = 0;
    for (const c of p.children) {
      if (typeof c !== 'string' && c.name === e.name) {
        total++;
        if (c === e) index = total;
      }
    }
    parts.push(total > 1 ? `${e.name}[${index}]` : e.name);
  }
  return '/' + parts.reverse().join('/');
}
