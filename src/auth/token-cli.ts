import { ConfigError, loadConfig } from '../config/app-config';
import { ServerKeys } from './server-keys';
import { SupplierRegistry } from './supplier-registry';

/**
 * `npm run -s token -- --supplier NAME [--client CLIENT_ID] [--ttl SECONDS]`: prints an access token
 * for that supplier, signed with the same key the server's token endpoint uses, with the endpoint's
 * lifetime (ACCESS_TOKEN_TTL_SECONDS) unless --ttl asks for a shorter one (from 60 s).
 */
async function main() {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const supplierName = opt('supplier');
  if (!supplierName) throw new ConfigError('usage: npm run -s token -- --supplier NAME [--client CLIENT_ID] [--ttl SECONDS]');
  let config = loadConfig();
  const ttl = opt('ttl');
  if (ttl !== undefined) {
    // The server refuses its own tokens that live longer than ACCESS_TOKEN_TTL_SECONDS, so --ttl can
    // only shorten; a longer session needs a larger ACCESS_TOKEN_TTL_SECONDS for server and CLI alike.
    const seconds = Number(ttl);
    const longest = config.accessTokenTtlSeconds;
    if (!/^\d+$/.test(ttl) || seconds < 60 || seconds > longest)
      throw new ConfigError(
        `--ttl must be a whole number of seconds from 60 to ${longest} (ACCESS_TOKEN_TTL_SECONDS; the server refuses longer-lived tokens) (got "${ttl}")`,
      );
    config = { ...config, accessTokenTtlSeconds: seconds };
  }
  if (config.dataDir === 'memory://' && !config.authSigningKeyFile) {
    throw new ConfigError(
      'DATA_DIR=memory:// keeps the signing key in the server process only; set AUTH_SIGNING_KEY_FILE to mint tokens outside it',
    );
  }
  const suppliers = SupplierRegistry.fromFile(config.suppliersFile);
  const supplier = suppliers.supplier(supplierName);
  if (!supplier)
    throw new ConfigError(
      `no supplier named ${supplierName} in ${config.suppliersFile} (have: ${suppliers
        .all()
        .map((s) => s.name)
        .join(', ')})`,
    );
  const clientId = opt('client') ?? supplier.clients[0]?.clientId;
  if (!clientId || !supplier.clients.some((c) => c.clientId === clientId))
    throw new ConfigError(`supplier ${supplierName} has no client ${clientId ?? ''}`.trim());
  const keys = await ServerKeys.load(config);
  // The TokenService needs only config and keys to issue; build it without a database connection.
  const { TokenService } = await import('./token.service');
  const service = new TokenService(config, keys, suppliers, undefined as never);
  const { access_token } = await service.issue(clientId);
  process.stdout.write(`${access_token}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
