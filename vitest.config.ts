import { configDefaults, defineConfig } from "vitest/config";

/**
 * Two projects, run one after the other by `npm test`: "main" (every suite, in parallel), then
 * "several-hosts" (three service processes at once), which would otherwise share the machine's
 * cores with the other suites and measure their load rather than its own behaviour.
 */
export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: "main", exclude: [...configDefaults.exclude, "test/several-hosts/**"] } },
      { extends: true, test: { name: "several-hosts", include: ["test/several-hosts/**/*.test.ts"] } },
    ],
  },
});
