import { describe, expect, it } from "vitest";
import { runCampaign } from "./campaign";
import { profileFromEnv } from "./profiles";
import { failures, formatSummary, listFindings, type Category } from "./report";

// The fault campaign (see campaign.ts): `short` by default, the profile from
// SIMGATE_FAULTS_PROFILE and the seed from SIMGATE_FAULTS_SEED (printed, so a failure replays).
const { profile, seed } = profileFromEnv();
const budgetMs = { short: 12 * 60_000, default: 40 * 60_000, long: 4 * 3_600_000 }[profile.name];

describe(`fault campaign (${profile.name} profile)`, () => {
  it(`stores every message once, under its card, and leaves nothing stuck (seed ${seed})`, async () => {
    const report = await runCampaign(profile, seed, { log: (line) => process.stdout.write(`[faults] ${line}\n`) });
    const summary = formatSummary(report);
    process.stdout.write(`\n${summary}\n\n`);
    // Each count with the messages behind it, so the failure can be followed up message by message.
    const detail = (category: Category) => `${summary}\n\n${listFindings(report, category)}`;
    if (failures(report).length > 0) process.stdout.write(`${(["lost", "duplicated", "misattributed", "stuck"] as const).map((c) => listFindings(report, c, 15)).join("\n")}\n`);
    expect(report.totals.counts.lost, detail("lost")).toBe(0);
    expect(report.totals.counts.duplicated, detail("duplicated")).toBe(0);
    expect(report.totals.counts.misattributed, detail("misattributed")).toBe(0);
    expect(report.totals.counts.stuck, detail("stuck")).toBe(0);
  }, budgetMs);
});
