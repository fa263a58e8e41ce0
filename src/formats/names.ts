/** The migration folder layouts dbdoctor reads (`--format`); a leaf module, read by the config schema. */
export const FORMAT_NAMES = [
  'dbmate',
  'prisma',
  'drizzle',
  'golang-migrate',
  'goose',
  'sqlx',
  'diesel',
  'flyway',
] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];
