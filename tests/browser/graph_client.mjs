// The official JavaScript Graph client (@microsoft/microsoft-graph-client) against the service over
// HTTPS, set up as for Graph but for its base URL and the host it may send the token to: it creates
// devices in an empty tenant, then PageIterator walks every page by following each @odata.nextLink
// (which the client takes for a URL of its own only when it is https).
//
//   NODE_EXTRA_CA_CERTS=ca.pem AZURE_TENANT_ID=... AZURE_CLIENT_ID=... AZURE_CLIENT_SECRET=... \
//   AZURE_AUTHORITY_HOST=https://127.0.0.1:PORT node graph_client.mjs https://127.0.0.1:PORT
//
// The token comes from the authority's client credentials endpoint, as an app without MSAL gets one.
// Prints a line per step and, last, `graph-client e2e: N passed, M failed`; exit code 1 on failure.

import { Client, PageIterator } from "@microsoft/microsoft-graph-client";

const DEVICES = 25;
const PAGE_SIZE = 4;
const COLLECTION = "/deviceManagement/windowsAutopilotDeviceIdentities";

class Failure extends Error {}

function check(condition, message) {
  if (!condition) {
    throw new Failure(message);
  }
}

function environment(name) {
  const value = process.env[name];
  check(value, `${name} is not set`);
  return value;
}

/** A client credentials token from the authority, for Graph's application permissions. */
async function clientCredentialsToken() {
  const authority = environment("AZURE_AUTHORITY_HOST").replace(/\/+$/, "");
  const tenant = environment("AZURE_TENANT_ID");
  const response = await fetch(`${authority}/${tenant}/oauth2/v2.0/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: environment("AZURE_CLIENT_ID"),
      client_secret: environment("AZURE_CLIENT_SECRET"),
      scope: "https://graph.microsoft.com/.default",
    }),
  });
  const body = await response.json();
  check(response.status === 200, `token endpoint: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

async function main() {
  const base = process.argv[2];
  check(base?.startsWith("https://"), "usage: node graph_client.mjs https://HOST:PORT");
  const token = await clientCredentialsToken();
  const client = Client.init({
    baseUrl: `${base}/`,
    defaultVersion: "v1.0",
    // The client adds the token only for Graph's hosts and these.
    customHosts: new Set([new URL(base).hostname]),
    authProvider: (done) => done(null, token),
  });
  const steps = [
    [`create ${DEVICES} devices`, async () => {
      const created = [];
      for (let n = 1; n <= DEVICES; n += 1) {
        const serialNumber = `JS-${String(n).padStart(3, "0")}`;
        const device = await client.api(COLLECTION).post({ serialNumber, groupTag: "js-client" });
        check(device.serialNumber === serialNumber, `created ${JSON.stringify(device)}`);
        created.push(device.id);
      }
      check(new Set(created).size === DEVICES, "an id was handed out twice");
      return `${DEVICES} devices`;
    }],
    [`PageIterator over pages of ${PAGE_SIZE}`, async () => {
      const first = await client.api(COLLECTION).top(PAGE_SIZE).count(true).get();
      check(first["@odata.count"] === DEVICES, `@odata.count ${first["@odata.count"]}`);
      const next = first["@odata.nextLink"] ?? "";
      check(next.startsWith(`${base}/v1.0/`), `@odata.nextLink is not https on the service: ${next}`);
      const seen = [];
      const iterator = new PageIterator(client, first, (device) => {
        seen.push(device.serialNumber);
        return true;
      });
      await iterator.iterate();
      const pages = Math.ceil(DEVICES / PAGE_SIZE);
      check(seen.length === DEVICES, `${seen.length} devices seen, ${DEVICES} expected`);
      check(new Set(seen).size === DEVICES, "a device was seen twice");
      check(iterator.isComplete(), "the iterator did not reach the last page");
      return `${seen.length} devices on ${pages} pages, each seen once`;
    }],
  ];

  let passed = 0;
  for (const [index, [name, step]] of steps.entries()) {
    const started = Date.now();
    try {
      const detail = await step();
      passed += 1;
      console.log(`ok   ${index + 1}. ${name} (${((Date.now() - started) / 1000).toFixed(2)}s): ${detail}`);
    } catch (error) {
      const reason = error instanceof Failure ? error.message : error?.stack ?? String(error);
      console.log(`FAIL ${index + 1}. ${name}: ${reason}`);
      console.log(`graph-client e2e: ${passed} passed, 1 failed`);
      return 1;
    }
  }
  console.log(`graph-client e2e: ${passed} passed, 0 failed`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.log(`FAIL: ${error instanceof Failure ? error.message : error?.stack ?? error}`);
    console.log("graph-client e2e: 0 passed, 1 failed");
    process.exit(1);
  },
);
