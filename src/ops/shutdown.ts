import type { Logger } from './logger.js';

/**
 * Runs until SIGTERM or SIGINT, then stops gracefully within the grace period (contract section 7:
 * stop fetching, flush, commit, leave the group, exit 0). A second signal, or the grace period running
 * out, exits at once with a non-zero code.
 */
export function onShutdownSignal(logger: Logger, graceMs: number, stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting at once');
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal, graceMs }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error({ graceMs }, 'grace period over: exiting');
        process.exit(1);
      }, graceMs);
      timer.unref();
      stop().then(
        () => {
          clearTimeout(timer);
          logger.info('stopped cleanly');
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(timer);
          logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}
