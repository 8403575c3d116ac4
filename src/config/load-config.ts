/**
 * Where the configuration comes from at start: the file named by SIMGATE_CONFIG (default
 * simgate.config.json), or, when there is none, the demo farm, whose traffic and timing two
 * variables may change (the tests' service processes set them).
 */
import { existsSync, readFileSync } from "node:fs";
import { Either, ParseResult, Schema } from "effect";
import { ConfigError, DEMO_CONFIG, parseConfig, type Config } from "./config";

/** The words name the variable and repeat what it held, as they did before there was a schema. */
const refusedWith = (words: (got: string) => string) => ({
  message: (issue: ParseResult.ParseIssue) => ({ message: words(`(got "${String(issue.actual)}")`), override: true }),
});

/** The demo farm's variables. */
export const DemoEnv = Schema.Struct({
  SIMGATE_DEMO_SMS_EVERY_MS: Schema.optional(
    Schema.transform(Schema.String.pipe(Schema.pattern(/^\d+$/)), Schema.Number, { strict: true, decode: Number, encode: String }).annotations(
      refusedWith((got) => `SIMGATE_DEMO_SMS_EVERY_MS must be a whole number of ms ${got}`),
    ),
  ),
  SIMGATE_DEMO_TIMING: Schema.optional(Schema.Literal("instant", "realistic").annotations(refusedWith((got) => `SIMGATE_DEMO_TIMING must be instant or realistic ${got}`))),
});

const demoOverrides = (env: NodeJS.ProcessEnv): typeof DemoEnv.Type => {
  const decoded = Schema.decodeUnknownEither(DemoEnv)({ SIMGATE_DEMO_SMS_EVERY_MS: env.SIMGATE_DEMO_SMS_EVERY_MS, SIMGATE_DEMO_TIMING: env.SIMGATE_DEMO_TIMING });
  if (Either.isRight(decoded)) return decoded.right;
  throw new ConfigError(ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]?.message ?? "the demo's variables are not valid");
};

/** The configuration and where it came from, or a ConfigError saying what to fix. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): { config: Config; source: string } => {
  const file = env.SIMGATE_CONFIG ?? "simgate.config.json";
  if (!existsSync(file)) {
    const config = parseConfig(DEMO_CONFIG, env, "demo");
    const demo = demoOverrides(env);
    return {
      config: { ...config, demoSmsEveryMs: demo.SIMGATE_DEMO_SMS_EVERY_MS ?? config.demoSmsEveryMs, simulatedTiming: demo.SIMGATE_DEMO_TIMING ?? config.simulatedTiming },
      source: `no ${file}: the demo farm`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`${file}: ${(error as Error).message}`);
  }
  return { config: parseConfig(json, env, file), source: file };
};
