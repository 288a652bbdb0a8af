import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { verifyingKey } from '../../lib/keys.js';
import { AttestationError, verifyAttestation } from './attestation.js';

export function registerAttestCommand(program: Command): void {
  const attest = program.command('attest').description('Signed compliance attestations (RS256 JWTs issued by `socflow import openscap`)');
  attest
    .command('verify')
    .description('Check an attestation: signature, expiry and, with --file, the sha256 of the results file; prints the claims as JSON')
    .argument('<jwt>', 'the attestation token')
    .option('--file <path>', 'the OpenSCAP results file it attests')
    .action(async (jwt: string, opts: { file?: string }) => {
      try {
        const bytes = opts.file ? new Uint8Array(await readFile(opts.file)) : undefined;
        const claims = await verifyAttestation(jwt.trim(), await verifyingKey('attestation'), bytes);
        process.stdout.write(`${JSON.stringify(claims, null, 2)}\n`);
        process.stderr.write(`valid: signature ok, not expired${bytes ? ', results file digest matches' : ' (no file given: digest not checked)'}\n`);
      } catch (err) {
        process.stderr.write(`invalid: ${err instanceof AttestationError ? `${err.code}: ${err.message}` : (err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
