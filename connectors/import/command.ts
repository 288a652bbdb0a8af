import { readFile, stat } from 'node:fs/promises';
import { Argument, type Command } from 'commander';
import { ImportError } from './errors.js';
import { parseIsoTime, UNKNOWN_ASSET } from './common.js';
import { formatDescriptions, importFormats, parseReport, type ImportFormat } from './parse.js';
import { SEVERITIES, type ComplianceEvent, type TelemetryEvent } from './types.js';
import type { ComplianceScanResult } from '../compliance/score.js';
import { withAttestationId } from '../compliance/score.js';

export interface ImportCommandDeps {
  /** Publishes all events of one report at once (all or nothing). */
  publish: (events: TelemetryEvent[]) => Promise<void>;
  /** stdout writer (default: the command's commander writeOut, i.e. process.stdout). */
  stdout?: (s: string) => void;
  /** stderr writer (default: the command's commander writeErr, i.e. process.stderr). */
  stderr?: (s: string) => void;
  /** Reads all of stdin (default: process.stdin). */
  readStdin?: () => Promise<Uint8Array>;
  /** Clock used only for the fallback event time of a report read from stdin (default Date.now). */
  now?: () => number;
  /**
   * Optional: issue a signed attestation for each OpenSCAP scan before publishing; returns its id
   * (the JWT jti), which becomes the COMPLIANCE payload's attestation_id. A failure aborts the import.
   */
  attest?: (scan: ComplianceScanResult, fileBytes: Uint8Array) => Promise<string>;
}

/** Exit code for a report that cannot be read or parsed (usage errors use commander's 1). */
export const EXIT_INVALID_INPUT = 2;
/** Exit code when publishing (or attesting) fails. */
export const EXIT_PUBLISH_FAILED = 3;

/** Index of the first byte that is not valid UTF-8, or -1. Linear. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) (need = 1), (min = 0x80);
    else if (c >= 0xe0 && c <= 0xef) (need = 2), (min = 0x800);
    else if (c >= 0xf0 && c <= 0xf4) (need = 3), (min = 0x10000);
    else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * Decode report bytes to text: UTF-8 (BOM optional), UTF-16 with a BOM, or — for XML — the
 * encoding named in the XML declaration. Invalid bytes are an ImportError naming the byte offset.
 */
export function decodeReport(bytes: Uint8Array, format: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const head = Buffer.from(body.subarray(0, 200)).toString('latin1');
  const decl = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  const label = decl ? decl[1].toLowerCase() : 'utf-8';
  if (label !== 'utf-8' && label !== 'utf8') {
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(label, { fatal: true });
    } catch {
      throw new ImportError(format, 'line 1 (XML declaration)', `unsupported encoding ${JSON.stringify(decl![1])}`);
    }
    try {
      return decoder.decode(body);
    } catch {
      throw new ImportError(format, 'input bytes', `not valid ${decl![1]}`);
    }
  }
  const bad = firstInvalidUtf8(body);
  if (bad !== -1) throw new ImportError(format, `byte offset ${bad + (body === bytes ? 0 : 3)}`, 'not valid UTF-8');
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

async function readAllStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

function summarize(events: TelemetryEvent[]): string {
  const counts = new Map<string, number>(SEVERITIES.map((s) => [s, 0]));
  for (const e of events) {
    const sev = (e.payload as { severity?: string }).severity;
    if (sev) counts.set(sev, (counts.get(sev) ?? 0) + 1);
  }
  return SEVERITIES.map((s) => `${s} ${counts.get(s)}`).join(', ');
}

interface ImportOptions {
  dryRun?: boolean;
  asset?: string;
  agentId?: string;
  scanTime?: string;
}

/** Adds `import <format> <file|->` to the program. */
export function registerImportCommand(program: Command, deps: ImportCommandDeps): Command {
  const formatList = importFormats.map((f) => `  ${f.padEnd(10)} ${formatDescriptions[f]}`).join('\n');
  const cmd = program
    .command('import')
    .description('Import a security scanner report as FINDING events (OpenSCAP also yields COMPLIANCE scores)')
    .addArgument(new Argument('<format>', 'report format').choices(importFormats as readonly string[]))
    .addArgument(new Argument('<file>', 'report file, or - to read stdin'))
    .option('--dry-run', 'publish nothing; print each FINDING event as one JSON line on stdout (everything else goes to stderr)')
    .option('--asset <name>', 'the scanned asset (agent_id), overriding what the report names; required to publish reports that name none')
    .option('--agent-id <id>', 'alias of --asset')
    .option('--scan-time <iso8601>', 'event time for reports that carry no scan time (default: file mtime; now for stdin)')
    .addHelpText(
      'after',
      `\nFormats:\n${formatList}\n\n` +
        'Severities are mapped onto critical/high/medium/low/info (see connectors/import/README.md).\n' +
        'Event ids are deterministic: re-importing the same report yields the same ids.\n' +
        `Exit status: 0 ok, 1 usage error, ${EXIT_INVALID_INPUT} unreadable or invalid report (nothing published), ${EXIT_PUBLISH_FAILED} publish failed.`,
    );
  if (deps.stdout || deps.stderr) {
    const cfg: { writeOut?: (s: string) => void; writeErr?: (s: string) => void } = {};
    if (deps.stdout) cfg.writeOut = deps.stdout;
    if (deps.stderr) cfg.writeErr = deps.stderr;
    cmd.configureOutput(cfg);
  }

  cmd.action(async (format: ImportFormat, file: string, options: ImportOptions) => {
    const output = cmd.configureOutput();
    const out = (s: string) => (output.writeOut ?? ((x: string) => process.stdout.write(x)))(s);
    const err = (s: string) => (output.writeErr ?? ((x: string) => process.stderr.write(x)))(s);
    const fail = (message: string, exitCode: number): never => {
      cmd.error(`socflow import: ${message.replace(/\s*[\r\n]+\s*/g, ' ')}`, { exitCode, code: 'socflow.import.failed' });
      throw new Error('unreachable');
    };

    if (options.asset !== undefined && options.agentId !== undefined && options.asset !== options.agentId) {
      fail('--asset and --agent-id disagree; give one of them', 1);
    }
    const assetOverride = options.asset ?? options.agentId;
    if (assetOverride !== undefined && assetOverride.trim() === '') fail('--asset must not be empty', 1);
    let explicitTime: number | null = null;
    if (options.scanTime !== undefined) {
      explicitTime = parseIsoTime(options.scanTime);
      if (explicitTime === null) fail(`--scan-time ${JSON.stringify(options.scanTime)} is not an ISO-8601 date-time`, 1);
    }

    // read
    let bytes: Uint8Array;
    let fallbackTime: number;
    try {
      if (file === '-') {
        bytes = await (deps.readStdin ?? readAllStdin)();
        fallbackTime = explicitTime ?? (deps.now ?? Date.now)();
      } else {
        const [content, info] = await Promise.all([readFile(file), stat(file)]);
        bytes = content;
        fallbackTime = explicitTime ?? Math.trunc(info.mtimeMs);
      }
    } catch (e) {
      return fail(`cannot read ${file === '-' ? 'stdin' : file}: ${(e as Error).message}`, EXIT_INVALID_INPUT);
    }

    const label = file === '-' ? 'stdin' : file;

    // parse (all or nothing)
    let events: TelemetryEvent[];
    let compliance: TelemetryEvent[];
    let scans: ComplianceScanResult[];
    try {
      const text = decodeReport(bytes, format);
      const result = parseReport(format, text, {
        fallbackTime,
        assetOverride,
        onProgress: (n) => {
          if (n > 0 && n % 10000 === 0) err(`socflow import: ${n} findings so far\n`);
        },
      });
      events = result.events;
      compliance = result.compliance ?? [];
      scans = result.complianceScans ?? [];
    } catch (e) {
      if (e instanceof ImportError) return fail(`${label}: ${e.message}`, EXIT_INVALID_INPUT);
      return fail(`${label}: ${format}: unexpected failure: ${(e as Error).message}`, EXIT_INVALID_INPUT);
    }

    const assets = [...new Set(events.map((e) => e.agent_id).concat(compliance.map((e) => e.agent_id)))];
    if (assets.includes(UNKNOWN_ASSET)) {
      // Findings attributed to "unknown" would merge unrelated targets into one entity: publishing needs --asset.
      if (!options.dryRun) fail(`${label}: the ${format} report does not name the scanned asset; pass --asset <name> (nothing published)`, 1);
      err(`socflow import: warning: the ${format} report does not name the scanned asset; agent_id is "${UNKNOWN_ASSET}" (pass --asset <name>)\n`);
    }
    const summary =
      `${label}: ${events.length} finding${events.length === 1 ? '' : 's'} (${summarize(events)})` +
      (compliance.length > 0 ? `, ${compliance.length} compliance score${compliance.length === 1 ? '' : 's'}` : '') +
      `; asset ${assets.length <= 3 ? assets.join(', ') || '-' : `${assets.slice(0, 3).join(', ')} (+${assets.length - 3} more)`}`;

    if (options.dryRun) {
      for (const e of events) out(JSON.stringify(e) + '\n');
      for (const c of compliance) err(`compliance ${JSON.stringify(c)}\n`);
      err(`socflow import: dry run, nothing published: ${summary}\n`);
      return;
    }

    try {
      if (deps.attest && scans.length > 0) {
        const attested: TelemetryEvent[] = [];
        for (let i = 0; i < scans.length; i++) {
          const id = await deps.attest(scans[i], bytes);
          attested.push(withAttestationId(compliance[i] as ComplianceEvent, id));
        }
        compliance = attested;
      }
      await deps.publish([...events, ...compliance]);
    } catch (e) {
      return fail(`${label}: publish failed: ${(e as Error).message}`, EXIT_PUBLISH_FAILED);
    }
    err(`socflow import: published ${summary}\n`);
  });
  return cmd;
}
