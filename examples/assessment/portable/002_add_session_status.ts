// Report 002's migration, once: an enum type on PostgreSQL, a CHECKed TEXT column on SQLite,
// the index, and a down derived from the operations (SQLite rebuilds the table to undo it).
import { addColumn, createEnum, createIndex, defineMigration, enumType, now } from 'dbdoctor';

const SESSION_STATUS = ['active', 'completed', 'user_abandoned_not_completed'] as const;

export default defineMigration({
  ops: [
    createEnum('sessionstatus', SESSION_STATUS),
    addColumn('student_responses', 'status', {
      type: enumType('sessionstatus', SESSION_STATUS),
      nullable: false,
      default: 'active',
    }),
    addColumn('student_responses', 'last_activity', { type: 'timestamp', default: now() }),
    addColumn('student_responses', 'current_page_id', {
      type: 'integer',
      references: { table: 'pages', column: 'id' },
    }),
    createIndex('student_responses', ['status'], { name: 'idx_student_responses_status' }),
  ],
});
