import { afterAll } from 'vitest';

// A process warning during the tests (deprecations, leaked listeners) is a defect: fail the file.
const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
process.on('warning', onWarning);

afterAll(() => {
  process.off('warning', onWarning);
  if (warnings.length > 0) throw new Error(`process warnings during tests:\n${warnings.join('\n')}`);
});
