import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config';
import { createApp } from './bootstrap';
import { JsonLogger } from './logging/json-logger';

async function main() {
  const started = process.hrtime.bigint();
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`configuration error: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const logger = new JsonLogger(config.logLevel);
  const app = await createApp(config, logger);
  await app.listen(config.port, config.host);
  logger.info('ready', {
    url: config.publicBaseUrl,
    database: config.databaseUrl ? 'postgresql' : 'pglite',
    startupMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
    rssMiB: Math.round(process.memoryUsage().rss / 1048576),
  });
}

main().catch((e) => {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${e instanceof ConfigError ? 'configuration error: ' : 'start-up failed: '}${message.split('\n')[0]}\n`);
  process.exit(1);
});
