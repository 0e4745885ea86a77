import { frostlineVitestConfig } from '../../vitest.shared';

export default frostlineVitestConfig({ globalSetup: ['./test/global-setup.ts'] });
