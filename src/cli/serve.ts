import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { startService } from '../service/service.js';
import { startKafka } from '../stream/kafka-service.js';

/**
 * `nbo serve`: runs the service from environment variables until SIGTERM/SIGINT, which
 * drain it (readiness fails, in-flight work finishes, WebSockets close with 1001) and
 * exit within NBO_SHUTDOWN_TIMEOUT_MS; a second signal exits at once. SIGHUP reloads the rules.
 */
export async function serve(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const service = await startService(config, { log });
  await startKafka(service, config, log);
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) process.exit(1);
    signalled = true;
    log.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5000);
    hard.unref();
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    const r = service.reloadRules();
    log.info({ ok: r.ok, version: r.version }, 'SIGHUP: rules reload');
  });
}
