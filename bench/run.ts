// Runs every benchmark. They report ratios to raw-driver floors measured in the same run.
await import('./apply.js');
await import('./doctor.js');
await import('./sessions.js');
await import('./rebuild.js');
await import('./mysql.js');
await import('./generate.js');
