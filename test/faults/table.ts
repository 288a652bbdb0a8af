/** One line of the fault table: for one fault, one kind of output, what was expected and what went wrong. */
export interface FaultRow {
  fault: string;
  output: string;
  expected: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  seconds: number;
}

const COLUMNS: { title: string; get: (r: FaultRow) => string; right?: boolean }[] = [
  { title: 'fault', get: (r) => r.fault },
  { title: 'output', get: (r) => r.output },
  { title: 'expected', get: (r) => String(r.expected), right: true },
  { title: 'lost', get: (r) => String(r.lost), right: true },
  { title: 'duplicated', get: (r) => String(r.duplicated), right: true },
  { title: 'unexpected', get: (r) => String(r.unexpected), right: true },
  { title: 'test s', get: (r) => r.seconds.toFixed(1), right: true },
];

export function formatTable(rows: FaultRow[]): string {
  const widths = COLUMNS.map((c) => Math.max(c.title.length, ...rows.map((r) => c.get(r).length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => (COLUMNS[i].right ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ')} |`;
  return [line(COLUMNS.map((c) => c.title)), `|${widths.map((w, i) => (COLUMNS[i].right ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`, ...rows.map((r) => line(COLUMNS.map((c) => c.get(r))))].join('\n');
}
