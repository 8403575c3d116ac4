/**
 * Every migration, in order, imported statically: a file-based provider cannot load .ts
 * files under the test runner, and a static list is also what a bundle needs.
 */
import type { Migration, MigrationProvider } from "kysely/migration";
import * as m0001 from "./0001_core";
import * as m0002 from "./0002_access";
import * as m0003 from "./0003_call_reads";
import * as m0004 from "./0004_card_jobs";
import * as m0005 from "./0005_simfolder";
import * as m0006 from "./0006_modem_memory";
import * as m0007 from "./0007_event_feed";
import * as m0008 from "./0008_status_reports";
import * as m0009 from "./0009_holds";
import * as m0010 from "./0010_hosts";
import * as m0011 from "./0011_modem_state";
import * as m0012 from "./0012_shared_holds";
import * as m0013 from "./0013_panel";
import * as m0014 from "./0014_panel_dashboard";
import * as m0015 from "./0015_card_inventory";
import * as m0016 from "./0016_message_search";
import * as m0018 from "./0018_card_history";
import * as m0019 from "./0019_events_settings";
import * as m0020 from "./0020_wakeups";
import * as m0021 from "./0021_outbox_lease";
import * as m0022 from "./0022_host_url";
import * as m0023 from "./0023_console";

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001_core": m0001,
  "0002_access": m0002,
  "0003_call_reads": m0003,
  "0004_card_jobs": m0004,
  "0005_simfolder": m0005,
  "0006_modem_memory": m0006,
  "0007_event_feed": m0007,
  "0008_status_reports": m0008,
  "0009_holds": m0009,
  "0010_hosts": m0010,
  "0011_modem_state": m0011,
  "0012_shared_holds": m0012,
  "0013_panel": m0013,
  "0014_panel_dashboard": m0014,
  "0015_card_inventory": m0015,
  "0016_message_search": m0016,
  "0018_card_history": m0018,
  "0019_events_settings": m0019,
  "0020_wakeups": m0020,
  "0021_outbox_lease": m0021,
  "0022_host_url": m0022,
  "0023_console": m0023,
};

export const migrationProvider: MigrationProvider = { getMigrations: async () => ({ ...MIGRATIONS }) };
