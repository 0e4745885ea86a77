import { frostlineVitestConfig } from '../../vitest.shared';

// The demo's smoke test runs whole parts: give it more time than a unit test.
export default frostlineVitestConfig({ testTimeout: 300_000, hookTimeout: 300_000 });
