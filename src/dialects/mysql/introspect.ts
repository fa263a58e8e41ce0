import { emptySchema, type Schema } from '../../schema/model.js';
import type { IntrospectOptions } from '../dialect.js';
import type { MysqlConnection } from './driver.js';

export async function introspectMysql(_conn: MysqlConnection, _options: IntrospectOptions): Promise<Schema> {
  return emptySchema('mysql');
}
