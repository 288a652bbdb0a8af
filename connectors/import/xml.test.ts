import { describe, expect, it } from 'vitest';
import { attr, childElement, childElements, childText, descendants, elementPath, parseXml, textContent, XmlError } from './xml.js';

function xmlError(text: string): XmlError {
  try {
    parseXml(text);
  } catch (e) {
    if (e instanceof XmlError) return e;
    throw e;
  }
  throw new Error('expected an XmlError');
}

describe('parseXml', () => {
  it('reads elements, attributes, text, CDATA, entities and character references', () => {
    const root = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><?pi x?>\n<!DOCTYPE r>\n' +
        '<r a="1" b=\'x &amp; &lt;y&gt; &#65;&#x42;\'>\n' +
        '  <c>one &quot;two&quot; &apos;three&apos;</c>\n' +
        '  <c><![CDATA[<raw> & ]] stuff]]></c>\n' +
        '  <d/>\n' +
        '</r>\n<!-- trailing -->\n',
    );
    expect(root.name).toBe('r');
    expect(root.attrs).toMatchObject({ a: '1', b: 'x & <y> AB' });
    const cs = childElements(root, 'c');
    expect(cs).toHaveLength(2);
    expect(textContent(cs[0])).toBe('one "two" \'three\'');
    expect(textContent(cs[1])).toBe('<raw> & ]] stuff');
    expect(childElement(root, 'd')?.children).toEqual([]);
    expect(cs[1].line).toBe(6);
  });

  it('resolves namespaces (default and prefixed) and exposes local names', () => {
    const root = parseXml(
      '<a:root xmlns:a="urn:a" xmlns="urn:default"><child x:attr="v" xmlns:x="urn:x"><a:leaf/></child><n xmlns="">t</n></a:root>',
    );
    expect(root.local).toBe('root');
    expect(root.ns).toBe('urn:a');
    const child = childElement(root, 'child')!;
    expect(child.ns).toBe('urn:default');
    expect(attr(child, 'attr')).toBe('v');
    expect(childElement(child, 'leaf')!.ns).toBe('urn:a');
    expect(childElement(root, 'n')!.ns).toBeNull();
    expect(descendants(root, 'leaf')).toHaveLength(1);
    expect(elementPath(childElement(child, 'leaf')!)).toBe('/a:root/child/a:leaf');
  });

  it('mixed content keeps text around inline elements', () => {
    const root = parseXml('<d>The <code>x</code> package &#8212; removed.</d>');
    expect(textContent(root)).toBe('The x package \u2014 removed.');
    expect(childText(root, 'code')).toBe('x');
  });

  it('normalizes attribute whitespace and CRLF line ends', () => {
    const root = parseXml('<r a="x\ty\nz">l1\r\nl2\rl3</r>');
    expect(root.attrs.a).toBe('x y z');
    expect(textContent(root)).toBe('l1\nl2\nl3');
  });

  it('indexes same-name siblings in element paths', () => {
    const root = parseXml('<r><s/><s><t/></s></r>');
    const t = descendants(root, 't')[0];
    expect(elementPath(t)).toBe('/r/s[2]/t');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['truncated inside an element', '<r><a>text</a><b>more', /<b> opened at line 1 is not closed/],
    ['truncated inside a tag', '<r><a x="1"', /unterminated value|end of input inside start tag|expected/],
    ['mismatched end tag', '<r><a></b></r>', /end tag <\/b> does not match start tag <a>/],
    ['unknown entity', '<r>&nbsp;</r>', /unknown entity &nbsp;/],
    ['bare ampersand', '<r>a & b</r>', /bare "&"/],
    ['duplicate attribute', '<r a="1" a="2"/>', /duplicate attribute a/],
    ['unquoted attribute', '<r a=1/>', /quoted value/],
    ['undeclared prefix', '<x:r/>', /prefix "x"/],
    ['two roots', '<r/><s/>', /after the root element/],
    ['text before root', 'hello <r/>', /expected the root element/],
    ['empty document', '   ', /no root element/],
    ['unterminated comment', '<r><!-- x </r>', /unterminated comment/],
    ['unterminated CDATA', '<r><![CDATA[ x </r>', /unterminated CDATA/],
    ['DTD internal subset (entity expansion)', '<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>', /internal subsets/],
    ['< in attribute', '<r a="<"/>', /"<" is not allowed/],
    ['illegal character reference', '<r>&#0;</r>', /not a legal XML character/],
  ];
  for (const [name, text, re] of bad) {
    it(`rejects: ${name}`, () => {
      const e = xmlError(text);
      expect(e.message).toMatch(re);
      expect(e.line).toBeGreaterThanOrEqual(1);
      expect(e.column).toBeGreaterThanOrEqual(1);
    });
  }

  it('reports the line and column of an error', () => {
    const e = xmlError('<r>\n  <a>\n  </b>\n</r>');
    expect(e.line).toBe(3);
    expect(e.column).toBe(3);
  });

  it('is linear: a large flat and a deeply nested document parse quickly without recursion', () => {
    const n = 200_000;
    const flat = '<r>' + '<i a="1">x &amp; y</i>'.repeat(n) + '</r>';
    let t = performance.now();
    const root = parseXml(flat);
    expect(root.children).toHaveLength(n);
    expect(performance.now() - t).toBeLessThan(5000);

    const depth = 100_000;
    const deep = '<d>'.repeat(depth) + 'x' + '</d>'.repeat(depth);
    t = performance.now();
    const d = parseXml(deep);
    expect(textContent(d)).toBe('x');
    expect(descendants(d, 'd')).toHaveLength(depth - 1);
    expect(performance.now() - t).toBeLessThan(5000);

    // single-line document: line tracking must not rescan
    const oneLine = '<r>' + '<i/>'.repeat(n) + '</r>';
    t = performance.now();
    expect(parseXml(oneLine).children).toHaveLength(n);
    expect(performance.now() - t).toBeLessThan(5000);
  });

  it('reports progress', () => {
    const counts: number[] = [];
    parseXml('<r>' + '<i/>'.repeat(25) + '</r>', { onProgress: (c) => counts.push(c), progressEvery: 10 });
    expect(counts).toEqual([10, 20]);
  });
});
