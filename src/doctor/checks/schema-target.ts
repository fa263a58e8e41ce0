import type { CheckContext, DoctorCheck } from '../check.js';
import type { Finding } from '../findings.js';

/**
 * Do the migrations' unqualified names land in the schema the doctor compares? When a database
 * or role setting points the search_path elsewhere ({@link EngineSql.unqualifiedTarget}), the
 * migrations changed that other schema, so what the doctor says of the compared one is not
 * where the migrations went, and a stamp from it would record a lie. Only when no schema was
 * given (`--schema`). A warning, not an error: migrations that qualify every name do land where
 * they say.
 */
export const schemaTargetCheck: DoctorCheck<CheckContext> = {
  code: 'SCHEMA_NOT_CURRENT',
  async run({ conn, schema }): Promise<Finding[]> {
    // A schema given by the user says where the objects are (its migrations name it, as
    // generate's do); only the default is a guess the search_path may contradict.
    if (schema !== undefined) return [];
    const elsewhere = await conn.dialect.engine.unqualifiedTarget?.(conn, schema);
    if (!elsewhere) return [];
    const { landsIn, compared } = elsewhere;
    return [
      {
        code: 'SCHEMA_NOT_CURRENT',
        severity: 'warning',
        message: `On this database unqualified names resolve to schema "${landsIn}" (its search_path), not to "${compared}", the schema compared: migrations that do not qualify their names changed "${landsIn}", so what is said here of "${compared}" may not be where they went. --fix stamps nothing while this holds.`,
        fix: `dbdoctor doctor --schema ${landsIn} (the schema migrations reach here), or make "${compared}" come first in the search_path (ALTER DATABASE/ROLE … SET search_path, or -c search_path=${compared} in the URL's options).`,
      },
    ];
  },
};
