import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:isPublic';
/** Marks a controller or route that needs no bearer token (health, metrics, docs, the token endpoint). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
