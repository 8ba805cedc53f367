import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { BearerAuthGuard } from './bearer-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { ServerKeys } from './server-keys';
import { SupplierRegistry } from './supplier-registry';
import { TokenController } from './token.controller';
import { TokenService } from './token.service';

@Global()
@Module({
  imports: [PassportModule],
  controllers: [TokenController],
  providers: [
    { provide: ServerKeys, inject: [APP_CONFIG], useFactory: (c: AppConfig) => ServerKeys.load(c) },
    { provide: SupplierRegistry, inject: [APP_CONFIG], useFactory: (c: AppConfig) => SupplierRegistry.fromFile(c.suppliersFile) },
    TokenService,
    JwtStrategy,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [SupplierRegistry, TokenService, ServerKeys],
})
export class AuthModule {}
