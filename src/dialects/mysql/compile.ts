import type { OperationCompiler } from '../dialect.js';

/** placeholder */
export const mysqlCompiler = {} as OperationCompiler;
