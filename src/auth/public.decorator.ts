import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'auth:isPublic';
/**
 * Marks a controller or route that needs no bearer token (health, metrics, docs, the token endpoint).
 * The `x-public` mark lets the OpenAPI document drop the padlock from those operations.
 */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension('x-public', true));
