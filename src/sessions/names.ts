/** History table of the separate namespace the session tables can be applied in. */
export const SESSIONS_HISTORY_TABLE = 'dbdoctor_sessions_migrations';
/** The tables the session migrations (sessions-migrations/<dialect>) create. */
export const SESSION_TABLES: readonly string[] = ['dbdoctor_sessions', 'dbdoctor_login_attempts'];
