// The flow of a TypeScript client, openapi-fetch over the types openapi-typescript generated from
// openapi/openapi.json (./schema.d.ts beside this file), against a running service:
//
//   tsc -p tsconfig.json && node typescript_flow.mjs BASE_URL TOKEN
//
// Compiling is half the test: with `strict`, every body this flow sends and every property it reads
// must exist in the generated types, and the `@ts-expect-error` lines must be errors (a derived
// profile type's own property is not on the other type). Prints one line per step and ends with
// `typescript client: flow complete`.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Schemas = components["schemas"];
type Profile = Schemas["beta.microsoft.graph.windowsAutopilotDeploymentProfile"];
type HybridProfile = Schemas["beta.microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile"];
type CloudProfile = Schemas["beta.microsoft.graph.azureADWindowsAutopilotDeploymentProfile"];
type DevicePage = Schemas["microsoft.graph.windowsAutopilotDeviceIdentityCollectionResponse"];

const [baseUrl, token] = process.argv.slice(2);
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
const suffix = Date.now().toString();

function step(text: string): void {
  console.log(`typescript client: ${text}`);
}

/** The answer's data, or a failure naming the operation and the error the service sent. */
function ok<T>(what: string, answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined) {
    throw new Error(`${what}: ${answer.response.status} ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

function isHybrid(profile: Profile): profile is HybridProfile {
  return profile["@odata.type"] === "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";
}

function isCloud(profile: Profile): profile is CloudProfile {
  return profile["@odata.type"] === "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
}

const devices = "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities";
const created = ok(
  "create (v1.0)",
  await client.POST(devices, { body: { serialNumber: `TS-V1-${suffix}`, groupTag: "Kiosk" } }),
);
ok(
  "create (beta)",
  await client.POST("/beta/deviceManagement/windowsAutopilotDeviceIdentities", {
    body: { serialNumber: `TS-BETA-${suffix}`, deviceFriendlyName: "Lobby" },
  }),
);
step(`created ${created.serialNumber} on v1.0 and its twin on beta`);

let page: DevicePage = ok(
  "list",
  await client.GET(devices, {
    params: { query: { $top: 1, $filter: `endswith(serialNumber,'-${suffix}')`, $orderby: "serialNumber" } },
  }),
);
const serials = page.value.map((device) => device.serialNumber);
let pages = 1;
while (page["@odata.nextLink"] !== undefined) {
  const answer = await fetch(page["@odata.nextLink"], { headers: { Authorization: `Bearer ${token}` } });
  if (!answer.ok) throw new Error(`@odata.nextLink: ${answer.status}`);
  page = (await answer.json()) as DevicePage;
  serials.push(...page.value.map((device) => device.serialNumber));
  pages += 1;
}
if (JSON.stringify(serials) !== JSON.stringify([`TS-BETA-${suffix}`, `TS-V1-${suffix}`]) || pages !== 2) {
  throw new Error(`${pages} pages of ${serials}`);
}
step(`listed ${serials.length} devices over ${pages} pages through @odata.nextLink`);

const item = { params: { path: { "windowsAutopilotDeviceIdentity-id": created.id ?? "" } } };
const updated = await client.POST(`${devices}/{windowsAutopilotDeviceIdentity-id}/updateDeviceProperties`, {
  ...item,
  body: { displayName: "Front desk", groupTag: "Desk" },
});
if (updated.response.status !== 204) throw new Error(`updateDeviceProperties: ${updated.response.status}`);
const device = ok("get", await client.GET(`${devices}/{windowsAutopilotDeviceIdentity-id}`, item));
if (device.displayName !== "Front desk" || device.groupTag !== "Desk") {
  throw new Error(`after updateDeviceProperties: ${JSON.stringify(device)}`);
}
step("got the device, updated its properties and read them back");

const imported = ok(
  "import",
  await client.POST("/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/import", {
    body: {
      importedWindowsAutopilotDeviceIdentities: [
        { serialNumber: `TS-IMPORT-${suffix}`, hardwareIdentifier: "SEFTSA==", groupTag: "Kiosk" },
      ],
    },
  }),
);
const record = { params: { path: { "importedWindowsAutopilotDeviceIdentity-id": imported.value[0]?.id ?? "" } } };
let status: Schemas["microsoft.graph.importedWindowsAutopilotDeviceIdentityImportStatus"] | undefined;
for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
  const state = ok(
    "get import",
    await client.GET("/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/{importedWindowsAutopilotDeviceIdentity-id}", record),
  ).state;
  status = state?.deviceImportStatus;
  if (status !== "unknown") break;
  await new Promise((resolve) => setTimeout(resolve, 500));
}
if (status !== "complete") throw new Error(`the import ended ${status}`);
step(`imported TS-IMPORT-${suffix}: ${status}`);

const profiles = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";
const cloud = ok(
  "create azureAD profile",
  await client.POST(profiles, {
    body: { "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", displayName: `Cloud ${suffix}` },
  }),
);
const hybrid = ok(
  "create activeDirectory profile",
  await client.POST(profiles, {
    body: {
      "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
      displayName: `Hybrid ${suffix}`,
      hybridAzureADJoinSkipConnectivityCheck: true,
    },
  }),
);
const profile = (id: string | undefined) => ({
  params: { path: { "windowsAutopilotDeploymentProfile-id": id ?? "" }, query: { $expand: "assignments" } },
});
const cloudRead = ok("get azureAD profile", await client.GET(`${profiles}/{windowsAutopilotDeploymentProfile-id}`, profile(cloud.id)));
const hybridRead = ok("get activeDirectory profile", await client.GET(`${profiles}/{windowsAutopilotDeploymentProfile-id}`, profile(hybrid.id)));
if (!isCloud(cloudRead) || !isHybrid(hybridRead)) {
  throw new Error(`read back as ${cloudRead["@odata.type"]} and ${hybridRead["@odata.type"]}`);
}
// @ts-expect-error only the activeDirectory type has this property
const notOnCloud: unknown = cloudRead.hybridAzureADJoinSkipConnectivityCheck;
if (notOnCloud !== undefined || hybridRead.hybridAzureADJoinSkipConnectivityCheck !== true) {
  throw new Error(`the profiles read back as ${JSON.stringify([cloudRead, hybridRead])}`);
}
step("created an azureAD and an activeDirectory profile and read each back as its own type");

const group = ok(
  "create group",
  await client.POST("/beta/groups", {
    body: { displayName: `Kiosks ${suffix}`, mailNickname: `kiosks${suffix}`, mailEnabled: false, securityEnabled: true },
  }),
);
ok(
  "create assignment",
  await client.POST(`${profiles}/{windowsAutopilotDeploymentProfile-id}/assignments`, {
    params: { path: { "windowsAutopilotDeploymentProfile-id": cloud.id ?? "" } },
    body: { target: { "@odata.type": "#microsoft.graph.groupAssignmentTarget", groupId: group.id } },
  }),
);
const expanded = ok("get with $expand", await client.GET(`${profiles}/{windowsAutopilotDeploymentProfile-id}`, profile(cloud.id)));
const assignments: Schemas["beta.microsoft.graph.windowsAutopilotDeploymentProfileAssignment"][] | null | undefined =
  expanded.assignments;
if (assignments?.length !== 1 || assignments[0]?.target?.groupId !== group.id) {
  throw new Error(`$expand=assignments gave ${JSON.stringify(assignments)}`);
}
step("expanded the profile's assignments, each a typed assignment with its target");
step("flow complete");
