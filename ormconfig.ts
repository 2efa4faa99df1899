/**
 * The DataSource the TypeORM CLI uses (`npm run migration:generate -- src/db/migrations/Name`,
 * `npm run migration:run`): PostgreSQL at DATABASE_URL, else the embedded database in DATA_DIR.
 */
import { loadConfig } from "./src/config";
import { createAppDatabase } from "./src/database";

export default createAppDatabase(loadConfig()).dataSource;
