import type { Command } from 'commander';
import { issueAttestation } from '../compliance/attestation.js';
import { storeAttestation } from '../compliance/store.js';
import { createPool } from '../../lib/db/pool.js';
import { signingKeyPair } from '../../lib/keys.js';
import { createTelemetryPublisher } from '../../lib/kafka/telemetryPublisher.js';
import { registerImportCommand } from './command.js';

/**
 * `socflow import` with its real dependencies: the transactional publisher (all or nothing per report)
 * and, for OpenSCAP, attestations signed with the attestation key and kept in PostgreSQL. Connections
 * are opened only when a report is really published, so --dry-run needs no services.
 */
export function registerImportWithServices(program: Command): void {
  registerImportCommand(program, {
    publish: async (events) => {
      const publisher = await createTelemetryPublisher('socflow-import');
      try {
        await publisher.publish(events);
      } finally {
        await publisher.close();
      }
    },
    attest: async (scan, fileBytes) => {
      const { privateKey } = await signingKeyPair('attestation');
      const issued = await issueAttestation(scan, fileBytes, privateKey, { issuer: 'socflow' });
      const pool = createPool(1);
      try {
        await storeAttestation(pool, issued);
      } finally {
        await pool.end();
      }
      process.stderr.write(`attestation ${issued.attestationId} for ${scan.host} ${scan.profile}: score ${scan.score.toFixed(3)}\n${issued.jwt}\n`);
      return issued.attestationId;
    },
  });
}
