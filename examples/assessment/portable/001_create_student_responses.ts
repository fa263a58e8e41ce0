// Report 002's tables, written once for SQLite and PostgreSQL with the operation DSL.
import { createTable, defineMigration, now } from 'dbdoctor';

export default defineMigration({
  ops: [
    createTable('pages', {
      columns: {
        id: { type: 'integer', primaryKey: true, autoIncrement: true },
        title: { type: 'text', nullable: false },
      },
    }),
    createTable('student_responses', {
      columns: {
        id: { type: 'integer', primaryKey: true, autoIncrement: true },
        session_id: { type: 'text', nullable: false, unique: true },
        answers: { type: 'json', nullable: false, default: '{}' },
        created_at: { type: 'timestamp', default: now() },
      },
    }),
  ],
});
