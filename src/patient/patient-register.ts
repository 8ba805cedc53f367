import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database, sqlState } from '../database/database';
import { JsonLogger } from '../logging/json-logger';
import { PatientRegisterRepository } from './infrastructure/patient-register.repository';
import type { NhsNumberStatus } from './public';

/**
 * Answers "is this NHS number current?" for every create, update and patient search. Most
 * deployments have no entry at all for most of their life (merges are rare), so the one thing
 * cached is "the register is empty": then the answer costs no SQL. The flag only ever goes from
 * empty to non-empty (entries are never deleted); this process flips it itself when it writes an
 * entry, and a background check every PATIENT_REGISTER_REFRESH_MS notices another instance's
 * first entry. Once non-empty, every check is one primary-key lookup, never a stale answer.
 */
@Injectable()
export class PatientRegister implements OnApplicationBootstrap, OnModuleDestroy {
  /** null until the first check has answered: then callers look the number up. */
  private empty: boolean | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly repo: PatientRegisterRepository,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap() {
    await this.refresh();
  }

  onModuleDestroy() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async refresh() {
    try {
      this.empty = await this.repo.isEmpty(this.db);
    } catch (e) {
      // Before migrations have run (42P01) or while the database is away: just look numbers up.
      if (sqlState(e) !== '42P01') this.logger.warn('patient register check failed', { error: (e as Error).message });
      this.empty = null;
    }
    if (this.empty !== false) {
      this.timer = setTimeout(() => void this.refresh(), this.empty === null ? 100 : this.config.patientRegisterRefreshMs);
      this.timer.unref();
    }
  }

  /** Called when this process writes an entry (before its commit: erring towards a lookup is safe). */
  noteEntry() {
    this.empty = false;
    this.onModuleDestroy();
  }

  async status(nhsNumber: string): Promise<NhsNumberStatus> {
    if (this.empty === true) return 'current';
    const entry = await this.repo.find(this.db, nhsNumber);
    return entry?.status ?? 'current';
  }
}
