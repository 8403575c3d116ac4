// The service entry point. The service layer (database, device registry, scheduler, HTTP
// facades) is not built yet; until it is, `npm start` says what it will do and which
// commands work today (the simulator, the AT console, the decoder).
const lines = [
  "simgate: the service is not available yet in this version.",
  "When it is, `npm start` with no configuration runs an embedded database and a simulated",
  "SIM-bank aggregator, and prints where the SimFolder and SR-Navigator APIs listen.",
  "",
  "Available now:",
  "  npm run -s simgate -- decode pdu <hex>      decode an SMS PDU",
  "  npm run -s simgate -- decode at '<text>'    parse a modem reply or unsolicited line",
  "  npm run -s simgate -- decode --batch        JSON lines in, JSON lines out",
  "  npm run -s simgate -- sim --modems 4 --control 127.0.0.1:8125",
  "                                               virtual modems on pseudo-terminals",
  "  npm run -s simgate -- console <device>      interactive AT console on a modem port",
];
process.stdout.write(lines.join("\n") + "\n");
