import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BatchModule } from './batch/batch.module';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { DatabaseModule } from './database/database.module';
import { FhirConventionsInterceptor } from './fhir/fhir-conventions.interceptor';
import { FhirExceptionFilter } from './fhir/fhir-exception.filter';
import { HealthModule } from './health/health.module';
import { ImmunizationModule } from './immunization/immunization.module';
import { JsonLogger } from './logging/json-logger';
import { MetricsModule } from './metrics/metrics.module';
import { NotificationModule } from './notification/notification.module';
import { PatientModule } from './patient/patient.module';
import { FhirModule } from './fhir/fhir.module';
import { SearchModule } from './search/search.module';

/** Feature modules, in the order their routes should appear in the docs. */
export const FEATURE_MODULES: Type<unknown>[] = [ImmunizationModule, SearchModule, NotificationModule, PatientModule, BatchModule];

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: JsonLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, logger),
        CqrsModule.forRoot(),
        DatabaseModule,
        AuthModule,
        AuditModule,
        MetricsModule,
        HealthModule,
        FhirModule,
        ...FEATURE_MODULES,
      ],
      providers: [
        { provide: APP_FILTER, useClass: FhirExceptionFilter },
        { provide: APP_INTERCEPTOR, useClass: FhirConventionsInterceptor },
      ],
    };
  }
}

/** The configuration and logger, available everywhere. */
@Module({})
class CoreModule {
  static forRoot(config: AppConfig, logger: JsonLogger): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: JsonLogger, useValue: logger },
      ],
      exports: [APP_CONFIG, JsonLogger],
    };
  }
}
