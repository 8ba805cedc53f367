import cluster from 'node:cluster';
import { Global, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JsonLogger } from '../logging/json-logger';
import { Database } from './database';
import { dataSourceOptions } from './data-source-options';
import { runMigrations } from './migrator';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      // main.ts has already checked the database (with a bounded retry where it can help); a
      // failure here is reported once, by main.ts, not retried nine times with stack traces.
      useFactory: (config: AppConfig) => ({ ...dataSourceOptions(config), toRetry: () => false }),
    }),
  ],
  providers: [Database],
  exports: [Database],
})
export class DatabaseModule implements OnApplicationBootstrap {
  constructor(
    @Inject(getDataSourceToken()) private readonly ds: DataSource,
    private readonly logger: JsonLogger,
  ) {}

  /**
   * Migrations run on every start (idempotent, serialised across instances by an advisory lock),
   * except in a cluster worker: its primary migrated before forking (src/cluster.ts).
   */
  async onApplicationBootstrap() {
    if (cluster.isWorker) return;
    const applied = await runMigrations(this.ds);
    if (applied.length > 0) this.logger.info('migrations applied', { migrations: applied });
  }
}
