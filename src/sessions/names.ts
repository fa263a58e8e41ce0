/** History table of the separate namespace the session tables can be applied in. */
export const SESSIONS_HISTORY_TABLE = 'dbdoctor_sessions_migrations';
