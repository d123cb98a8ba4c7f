// A service process for Kafka crash tests: NBO_TEST_CRASH_AFTER_APPLY=1 makes it kill
// itself with SIGKILL after its first batch is applied and before the offsets are committed.
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/config/logger.js';
import { startService } from '../../src/service/service.js';

const config = loadConfig(process.env);
const log = createLogger(config.logLevel);
const crash = process.env.NBO_TEST_CRASH_AFTER_APPLY === '1';
const service = await startService(config, {
  log,
  kafka: { afterApply: crash ? () => void process.kill(process.pid, 'SIGKILL') : undefined },
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => void service.stop().then(() => process.exit(0)));
