/**
 * The service's log: Effect's logger with levels and annotations (device, modem, ICCID,
 * user), one line per entry on stderr. JSON lines when stderr is not a terminal (a journal, a
 * file, a log collector reads them); readable text on a terminal. SIMGATE_LOG_LEVEL sets the
 * least level written (debug, info, warning, error; default info).
 */
import { Cause, Effect, HashMap, Layer, Logger, LogLevel } from "effect";

type Sink = { write: (text: string) => unknown; isTTY?: boolean };

const partOf = (m: unknown): string => (typeof m === "string" ? m : m instanceof Error ? `${m.name}: ${m.message}` : JSON.stringify(m));
const textOf = (message: unknown): string => (Array.isArray(message) ? message.map(partOf).join(" ") : partOf(message));

/** The logger itself, writing to `sink` (stderr by default). */
export const lineLogger = (sink: Sink = process.stderr) =>
  Logger.make(({ logLevel, message, annotations, date, cause }) => {
    const fields = Object.fromEntries(HashMap.toEntries(annotations).map(([k, v]) => [k, typeof v === "string" || typeof v === "number" ? v : JSON.stringify(v)]));
    const text = textOf(message);
    const failure = Cause.isEmpty(cause) ? null : Cause.pretty(cause);
    if (sink.isTTY) {
      const where = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(" ");
      sink.write(`${date.toISOString()} ${logLevel.label.padEnd(5)} ${where ? `[${where}] ` : ""}${text}${failure ? `\n${failure}` : ""}\n`);
    } else sink.write(`${JSON.stringify({ time: date.toISOString(), level: logLevel.label.toLowerCase(), message: text, ...fields, ...(failure ? { cause: failure } : {}) })}\n`);
  });

const LEVELS: Readonly<Record<string, LogLevel.LogLevel>> = { debug: LogLevel.Debug, info: LogLevel.Info, warning: LogLevel.Warning, warn: LogLevel.Warning, error: LogLevel.Error };

export class LogLevelError extends Error {}

/** The least level from SIMGATE_LOG_LEVEL (default info); a word it does not know is an error naming the choices. */
export const logLevelFrom = (env: NodeJS.ProcessEnv): LogLevel.LogLevel => {
  const given = env.SIMGATE_LOG_LEVEL?.trim().toLowerCase();
  if (!given) return LogLevel.Info;
  const level = LEVELS[given];
  if (!level) throw new LogLevelError(`SIMGATE_LOG_LEVEL must be debug, info, warning or error (got "${env.SIMGATE_LOG_LEVEL}")`);
  return level;
};

/** The service's logger in place of Effect's default, with its least level. */
export const serviceLogging = (level: LogLevel.LogLevel = LogLevel.Info, sink: Sink = process.stderr): Layer.Layer<never> =>
  Layer.merge(Logger.replace(Logger.defaultLogger, lineLogger(sink)), Logger.minimumLogLevel(level));

const outside = serviceLogging();

/**
 * For the few places outside any effect (an HTTP handler's last resort): the same logger, at
 * once. Inside effects, use Effect.logInfo / logWarning / logError.
 */
export const logNow = (level: "info" | "warning" | "error", message: string, annotations: Readonly<Record<string, string>> = {}): void =>
  Effect.runSync(
    (level === "error" ? Effect.logError(message) : level === "warning" ? Effect.logWarning(message) : Effect.logInfo(message)).pipe(Effect.annotateLogs(annotations), Effect.provide(outside)),
  );

/**
 * The service's startup lines on stdout (where it listens, the store, the bootstrap keys):
 * for the person who started it, apart from the log on stderr.
 */
export const announce = (line: string): Effect.Effect<void> => Effect.sync(() => void process.stdout.write(`${line}\n`));
