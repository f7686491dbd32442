import { type Engine, HubDatabases } from '@qrkiosk/testkit';
import { afterAll } from 'vitest';
import { HubStore } from '../src/index.js';

export { ENGINES, type Engine } from '@qrkiosk/testkit';

/** This test file's databases (testkit's HubDatabases); its PostgreSQL server stops after the file. */
const databases = new HubDatabases();
afterAll(() => databases.stop());

export const newDatabase = (engine: Engine) => databases.create(engine);

export async function openStore(
  engine: Engine,
): Promise<{ store: HubStore; database: string; dataDir: string }> {
  const where = await newDatabase(engine);
  return { ...where, store: await HubStore.open(where.database, where.dataDir) };
}
