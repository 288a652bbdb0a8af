/** Error thrown for a malformed, truncated or unexpected report. No events are produced when it is thrown. */
export class ImportError extends Error {
  /**
   * @param format the import format (e.g. `trivy`)
   * @param where where the report broke: a JSON path (`$.Results[2].Target`), `line 3, column 17`,
   *              an XML element path with its line, or `end of input`
   * @param detail what is wrong
   */
  constructor(
    readonly format: string,
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${format}: ${oneLine(detail)} (at ${oneLine(where)})`);
    this.name = 'ImportError';
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}
