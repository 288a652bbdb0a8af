/**
 * `socflow import`: scanner reports → FINDING events (and, for OpenSCAP, COMPLIANCE events).
 * See README.md for the per-format mapping, severities and identifiers.
 */
export { importFormats, formatDescriptions, isImportFormat, parseReport, type ImportFormat, type ParseResult } from './parse.js';
export { registerImportCommand, decodeReport, type ImportCommandDeps } from './command.js';
export { ImportError } from './errors.js';
export { UNKNOWN_ASSET, type ParseOptions } from './common.js';
export { SEVERITY_MAPS, GITLEAKS_SEVERITY, severityFromCvss } from './severity.js';
export type * from './types.js';
export { SEVERITIES } from './types.js';
