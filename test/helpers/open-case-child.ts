/**
 * Child process for the concurrent-open test: waits for the start time given (so the openers
 * really race), opens the case, prints its id and the schema version, and exits.
 */
import { openCase } from '../../main/engine/case/open-case.js';

const [folder, home, startAt] = process.argv.slice(2);
const delay = Number(startAt) - Date.now();
if (delay > 0) await new Promise((r) => setTimeout(r, delay));
try {
  const c = await openCase({ folder, home });
  const version = c.store.db.pragma('user_version', { simple: true }) as number;
  process.stdout.write(JSON.stringify({ id: c.info.id, version }));
  c.store.close();
} catch (e) {
  process.stdout.write(JSON.stringify({ error: (e as Error).message, code: (e as { code?: string }).code }));
  process.exitCode = 1;
}
