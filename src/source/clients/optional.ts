import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ClientUnavailableError } from '../consumer.js';

/**
 * Loads a Kafka client that is not a dependency of the product: from the application's own
 * node_modules when someone installed it there, else from the benchmark's separate package directory
 * (bench/clients, `npm run bench:clients`), through a one-line re-export module that lives there so that
 * Node resolves the package from that directory. The result is `unknown`: each adapter states, in a few
 * local types, the little of the client's API it uses.
 */
export async function importOptional(client: string, pkg: string, shim: string): Promise<unknown> {
  try {
    return await import(pkg);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw new ClientUnavailableError(client, `loading ${pkg} failed`, err);
  }
  const file = findShim(shim);
  if (!file) throw new ClientUnavailableError(client, `${pkg} is not installed (run \`npm run bench:clients\`)`);
  try {
    return await import(pathToFileURL(file).href);
  } catch (err) {
    throw new ClientUnavailableError(client, `${pkg} could not be loaded from bench/clients (run \`npm run bench:clients\`): ${(err as Error).message}`, err);
  }
}

/** bench/clients/<shim> in the nearest ancestor of this file that has it (src/ and dist/ alike). */
function findShim(shim: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'bench', 'clients', shim);
    if (existsSync(candidate) && existsSync(join(dir, 'bench', 'clients', 'node_modules'))) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
