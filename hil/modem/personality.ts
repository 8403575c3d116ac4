/**
 * One modem model: its traits as data (model-traits.ts), which the modem core and its
 * commands read, and the vendor commands that no other model has (`extraCommands`).
 */
import type { CommandHandler } from "./command-context";
import type { ModelTraits } from "./model-traits";

export interface Personality extends ModelTraits {
  readonly extraCommands?: Readonly<Record<string, CommandHandler>>;
}
