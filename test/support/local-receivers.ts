/**
 * The local alert receivers (Slack, PagerDuty, SMTP, webhook stand-ins on 127.0.0.1) live in
 * src/receivers/ since `npm run receivers` and the demo use them; the tests import them from here.
 */
export * from "../../src/receivers/local-receivers.js";
