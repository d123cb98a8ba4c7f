import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { startService } from '../service/service.js';
import { loadUws } from '../serve/uws.js';

/**
 * `nbo serve`: runs the service from environment variables until SIGTERM/SIGINT.
 * SIGTERM first enters lame duck for NBO_LAME_DUCK_MS: /readyz fails so endpoints stop
 * routing here, while every request is still served (Kubernetes removes a terminating pod
 * from its Service only after the signal, so requests keep arriving for a while). Then it
 * drains (new work refused, in-flight work finishes, WebSockets close with 1001) and exits
 * within NBO_SHUTDOWN_TIMEOUT_MS. SIGINT (Ctrl-C) drains at once; a second signal exits at
 * once. SIGHUP reloads the rules.
 */
export async function serve(): Promise<void> {
  const config = loadConfig();
  // before connecting anything: on a Node without a uWS binary, say so and stop
  loadUws();
  const log = createLogger(config.logLevel);
  const service = await startService(config, { log });
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) process.exit(1);
    signalled = true;
    const lameDuckMs = signal === 'SIGTERM' ? config.lameDuckMs : 0;
    log.info({ signal, lameDuckMs }, lameDuckMs > 0 ? 'shutting down: lame duck, still serving' : 'shutting down');
    const hard = setTimeout(
      () => {
        log.error('shutdown took too long; exiting');
        process.exit(1);
      },
      lameDuckMs + config.shutdownTimeoutMs + 5000,
    );
    hard.unref();
    service.enterLameDuck();
    setTimeout(() => {
      service.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    }, lameDuckMs);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    const r = service.reloadRules();
    log.info({ ok: r.ok, version: r.version }, 'SIGHUP: rules reload');
  });
}
