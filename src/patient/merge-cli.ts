import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { AppModule } from '../app.module';
import { ConfigError, loadConfig } from '../config/app-config';
import { DomainError } from '../kernel/domain-error';
import { JsonLogger } from '../logging/json-logger';
import { MergePatient, MergeResult } from './commands/merge-patient/merge-patient.command';

/**
 * `npm run -s patient:merge -- --from OLD --to NEW`: the same MergePatient command as
 * POST /Patient/$merge, from a shell, against the configured database (DATABASE_URL or DATA_DIR).
 * Prints one JSON line: {"from","to","current","moved","recorded"}. Exit 1 on a refusal.
 */
async function main() {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const from = opt('from');
  const to = opt('to');
  if (!from || !to) throw new ConfigError('usage: npm run -s patient:merge -- --from OLD_NHS_NUMBER --to NEW_NHS_NUMBER');
  const base = loadConfig();
  if (!base.databaseUrl && base.dataDir === 'memory://')
    throw new ConfigError('DATA_DIR=memory:// has no records to merge: set DATABASE_URL or DATA_DIR');
  // A one-shot process: no notification relay and no inbox worker (a running server delivers the
  // signals this merge writes to the outbox).
  const config = { ...base, notificationRelayEnabled: false, mnsInboundApiKey: null };
  const logger = new JsonLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn');
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, logger), { logger });
  try {
    const r: MergeResult = await app.get(CommandBus).execute(new MergePatient(from, to, null, 'cli'));
    process.stdout.write(`${JSON.stringify({ from, to, current: r.current, moved: r.moved, recorded: r.recorded })}\n`);
  } finally {
    await app.close();
  }
}

main().catch((e) => {
  const message = e instanceof DomainError ? e.issues.map((i) => i.diagnostics).join(' ') : e instanceof Error ? e.message : String(e);
  process.stderr.write(`${message.split('\n')[0]}\n`);
  process.exit(1);
});
