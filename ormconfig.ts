/**
 * The DataSource the TypeORM CLI uses (`npm run migration:generate -- src/db/migrations/Name`,
 * `npm run migration:run`): PostgreSQL at DATABASE_URL, else the embedded database in DATA_DIR.
 */
import { loadConfig } from "./src/config";
import { createDatabase } from "./src/db/data-source";

export default createDatabase(loadConfig()).dataSource;
