/**
 * Registers the built-in dialects. The only file that imports a dialect folder: the CLI entry
 * and the library index import it. A new dialect is one folder and one line here.
 */
import { mysqlDialect } from './mysql/index.js';
import { postgresDialect } from './postgres/index.js';
import { registerDialect } from './registry.js';
import { sqliteDialect } from './sqlite/index.js';

registerDialect(sqliteDialect);
registerDialect(postgresDialect);
registerDialect(mysqlDialect);
