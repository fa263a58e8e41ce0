// Writes dbdoctor.config.schema.json from the zod schema the config file is checked with, so
// the published JSON Schema can never say something else (test/integration/first-hour.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import { configJsonSchema } from '../dist/config/config-file.js';

const target = path.resolve(import.meta.dirname, '..', 'dbdoctor.config.schema.json');
fs.writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
