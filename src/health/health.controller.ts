import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../auth/public.decorator';
import { Errors } from '../fhir/operation-outcome';

@ApiTags('Operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is serving requests' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database answers and every migration is applied' })
  async ready() {
    try {
      return await this.health.check([
        () => this.db.pingCheck('database', { timeout: 2000 }),
        async () => {
          const check = this.indicators.check('migrations');
          try {
            return (await this.ds.showMigrations()) ? check.down({ pending: true }) : check.up();
          } catch {
            // The database did not answer: not ready (the ping check says why), never a 500.
            return check.down({ unknown: true });
          }
        },
      ]);
    } catch (e) {
      if (e instanceof ServiceUnavailableException) {
        const body = e.getResponse() as { error?: Record<string, unknown> };
        throw Errors.unavailable(`Not ready: ${Object.keys(body.error ?? {}).join(', ') || 'a check failed'}.`);
      }
      // A check that threw rather than reported: still "not ready", never a 500.
      throw Errors.unavailable('Not ready: database.');
    }
  }
}
