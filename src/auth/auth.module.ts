import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { BearerAuthGuard } from './bearer-auth.guard';
import { AccessTokenVerifier } from './access-token-verifier';
import { ServerKeys } from './server-keys';
import { SharedRateLimiter } from './shared-rate-limiter';
import { SupplierRegistry } from './supplier-registry';
import { TokenController } from './token.controller';
import { TokenService } from './token.service';

@Global()
@Module({
  controllers: [TokenController],
  providers: [
    { provide: ServerKeys, inject: [APP_CONFIG], useFactory: (c: AppConfig) => ServerKeys.load(c) },
    { provide: SupplierRegistry, inject: [APP_CONFIG], useFactory: (c: AppConfig) => SupplierRegistry.fromFile(c.suppliersFile) },
    TokenService,
    AccessTokenVerifier,
    SharedRateLimiter,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [SupplierRegistry, TokenService, ServerKeys],
})
export class AuthModule {}
