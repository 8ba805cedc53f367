import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';
import { AuditQuery, auditQuerySql } from './audit-record';

const USAGE =
  'usage: npm run -s audit -- --since <ISO instant> [--until <ISO instant>] [--supplier NAME] [--interaction read,vread,...] [--limit N (default 1000, at most 100000)]';

const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Parses the command line into a query; throws ConfigError (one line) on anything it cannot use. */
export function parseAuditArgs(args: string[]): AuditQuery {
  const seen = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const name = /^--([a-z]+)$/.exec(args[i])?.[1];
    if (!name || !['since', 'until', 'supplier', 'interaction', 'limit'].includes(name))
      throw new ConfigError(`unknown argument ${args[i]}; ${USAGE}`);
    const value = args[++i];
    if (value === undefined) throw new ConfigError(`--${name} needs a value; ${USAGE}`);
    seen.set(name, [...(seen.get(name) ?? []), value]);
  }
  const one = (name: string) => {
    const v = seen.get(name);
    if (v && v.length > 1 && name !== 'interaction') throw new ConfigError(`--${name} may be given once`);
    return v?.[0];
  };
  const instant = (name: string) => {
    const v = one(name);
    if (v === undefined) return undefined;
    if (!INSTANT.test(v) || Number.isNaN(Date.parse(v)))
      throw new ConfigError(`--${name} must be an ISO 8601 date or instant (got "${v}")`);
    return new Date(v);
  };
  const since = instant('since');
  if (!since) throw new ConfigError(`--since is required; ${USAGE}`);
  const limitRaw = one('limit') ?? '1000';
  if (!/^\d{1,6}$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > 100_000)
    throw new ConfigError(`--limit must be a whole number from 1 to 100000 (got "${limitRaw}")`);
  const interactions = (seen.get('interaction') ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return { since, until: instant('until'), supplier: one('supplier'), interactions, limit: Number(limitRaw) };
}

/**
 * `npm run -s audit -- --since … [--supplier …]`: prints audit records as JSON lines, oldest first.
 * Reads the configured database (DATABASE_URL, or the embedded one under DATA_DIR when the server
 * is not running: an embedded database has one process at a time).
 */
async function main() {
  const query = parseAuditArgs(process.argv.slice(2));
  const config = loadConfig();
  if (config.dataDir === 'memory://' && !config.databaseUrl)
    throw new ConfigError('DATA_DIR=memory:// has no audit trail outside the server process');
  const ds = new DataSource({ ...dataSourceOptions(config), migrationsRun: false });
  await ds.initialize();
  try {
    const { text, params } = auditQuerySql(query);
    const rows: Record<string, unknown>[] = await ds.query(text, params);
    for (const r of rows) {
      const at = r.at instanceof Date ? r.at.toISOString() : new Date(String(r.at)).toISOString();
      process.stdout.write(
        `${JSON.stringify({
          id: r.id,
          at,
          supplier: r.supplier,
          clientId: r.client_id,
          interaction: r.interaction,
          resourceType: r.resource_type,
          resourceId: r.resource_id,
          version: r.version,
          status: r.status,
          requestId: r.request_id,
          correlationId: r.correlation_id,
        })}\n`,
      );
    }
  } finally {
    await ds.destroy();
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e instanceof ConfigError ? '' : 'audit: '}${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
