import { frostlineVitestConfig } from '../../vitest.shared';

export default frostlineVitestConfig();
