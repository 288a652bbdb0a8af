import type { Consumer, ConsumerRunConfig } from 'kafkajs';
import type { Logger } from '../log.js';

/**
 * `consumer.run(config)`, and again whenever kafkajs gives the consumer up. kafkajs restarts a crashed
 * consumer only after errors it deems retriable; after a broker outage longer than its retries it crashes
 * with "Failed to find group coordinator" (non-retriable) and stops for good, leaving a live process that
 * consumes nothing. Here the consumer reconnects and runs again, every `pauseMs`, until `stop`.
 */
export async function keepRunning(consumer: Consumer, config: ConsumerRunConfig, log: Logger, pauseMs = 2000): Promise<{ stop(): Promise<void> }> {
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const restart = async (): Promise<void> => {
    if (stopping) return;
    try {
      await consumer.connect();
      await consumer.run(config);
      log.warn('consumer running again after a crash kafkajs would not restart');
    } catch (err) {
      log.error({ err: String(err) }, `consumer restart failed; trying again in ${pauseMs} ms`);
      timer = setTimeout(() => void restart(), pauseMs);
    }
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart || stopping) return;
    log.error({ err: String(payload.error) }, `consumer crashed and kafkajs will not restart it; restarting in ${pauseMs} ms`);
    timer = setTimeout(() => void restart(), pauseMs);
  });
  await consumer.run(config);
  return {
    async stop() {
      stopping = true;
      clearTimeout(timer);
      await consumer.disconnect();
    },
  };
}
