// Drives the web console in a real browser, as a person would: signs in with the control token,
// loads every page of the tenant, searches for a device and opens it, simulates its enrollment
// through the confirmation form and sees the timeline appear, and watches a fault rule's hits rise
// on the live traffic page as Graph requests hit it. Every page is checked with axe-core: no
// serious or critical accessibility violation; and no page may log an error (a script the
// Content-Security-Policy refuses, say).
//
//   CONSOLE_TOKEN=<control token> node console.mjs http://127.0.0.1:PORT SCREENSHOT_DIR SERIAL FAULTED_PATH
//
// FAULTED_PATH is a Graph path (under the service) a fault rule answers, so that requesting it
// raises the rule's hits. Saves a full-page screenshot of each page as SCREENSHOT_DIR/console-*.png.
// Prints `console: <pages> pages` and, last, `console browser: 1 passed, 0 failed`; on failure the
// reason and `console browser: 0 passed, 1 failed`, with exit code 1.

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium } from "playwright-core";

const EXECUTABLE = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Every single wait (launch, navigation, an element) is bounded by this. */
const WAIT_MS = 30_000;
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

class Failure extends Error {}

function fail(message) {
  throw new Failure(message);
}

/** Playwright's messages carry terminal colours even into a pipe. */
function plain(text) {
  return String(text).replace(/\x1b\[[0-9;]*m/g, "");
}

/** axe-core on the page as it is: fails on a serious or critical violation. */
async function accessible(page, name) {
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
  // govern (an injected <script> would be refused, as it should be).
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ["violations"] }));
  const grave = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (grave.length) {
    const described = grave
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")})`)
      .join("\n  ");
    fail(`${name}: accessibility violations:\n  ${described}`);
  }
}

async function run(base, shots, serial, faultedPath, page, visited) {
  const root = base.replace(/\/+$/, "");
  const shoot = async (name) => {
    await accessible(page, name);
    await page.screenshot({ path: join(shots, `console-${name}.png`), fullPage: true, timeout: WAIT_MS });
    visited.push(name);
  };
  const open = async (path, name) => {
    const response = await page.goto(`${root}${path}`, { waitUntil: "load", timeout: WAIT_MS });
    if (!response || response.status() !== 200) {
      fail(`GET ${path}: ${response ? response.status() : "no response"}`);
    }
    if (name) {
      await shoot(name);
    }
  };
  const nav = (label) => page.locator("nav.pages").getByRole("link", { name: label, exact: true });

  // Sign in: /console/ leads to the form, and from it to the only tenant's overview.
  await open("/console/");
  await page.getByLabel("Control token", { exact: true }).waitFor({ state: "visible" });
  await shoot("sign-in");
  await page.getByLabel("Control token", { exact: true }).fill(process.env.CONSOLE_TOKEN ?? "");
  await Promise.all([page.waitForURL(/\/console\/tenants\/[^/]+\/$/), page.getByRole("button", { name: "Sign in" }).click()]);
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await shoot("overview");

  // Search for the device and open it.
  await nav("Devices").click();
  await page.getByRole("heading", { name: "Devices", exact: true }).waitFor();
  await page.getByLabel("Search serial number, group tag or name").fill(serial.slice(0, -2).toLowerCase());
  await Promise.all([page.waitForURL(/[?&]q=/), page.getByRole("button", { name: "Show" }).click()]);
  const link = page.getByRole("link", { name: serial, exact: true });
  await link.waitFor({ state: "visible" });
  await shoot("devices");
  await Promise.all([page.waitForURL(/\/devices\/[0-9a-f-]{36}$/), link.click()]);
  await page.getByRole("heading", { name: `Device ${serial}` }).waitFor();
  if (await page.locator("figure.enrollment").count()) {
    fail("the device shows an enrollment before it enrolled");
  }

  // Simulate its enrollment through the confirmation form; the timeline appears.
  await page.getByRole("link", { name: "Simulate an enrollment…" }).click();
  await page.getByLabel("Outcome", { exact: true }).waitFor();
  await shoot("enroll");
  await page.getByLabel("Outcome", { exact: true }).selectOption("success");
  await Promise.all([page.waitForURL(/enrolled=1/), page.getByRole("button", { name: "Enroll" }).click()]);
  const timeline = page.locator("#timeline figure.enrollment").first();
  await timeline.waitFor({ state: "visible" });
  const caption = (await timeline.locator("figcaption").innerText()).trim();
  if (!/success/.test(caption)) {
    fail(`the timeline shows ${JSON.stringify(caption)}, not a success`);
  }
  if ((await timeline.locator("svg.phases rect").count()) !== 3) {
    fail("the timeline's bar does not have its three phases");
  }
  await shoot("device");

  // Every other page of the tenant, and the details its lists lead to.
  for (const [label, name, detail] of [
    ["Imports", "imports", null],
    ["Profiles", "profiles", "profile"],
    ["Groups", "groups", "group"],
    ["Enrollment configurations", "enrollment-configurations", "enrollment-configuration"],
  ]) {
    await nav(label).click();
    await page.locator("main h1").waitFor();
    await page.waitForLoadState("load");
    await shoot(name);
    if (detail) {
      await page.locator("main table a").first().click();
      await page.getByRole("heading", { name: "Properties" }).waitFor();
      await shoot(detail);
    }
  }

  // The traffic page: a fault rule's hits rise while the page is open, refreshed by htmx.
  await nav("Traffic").click();
  const hits = page.locator("td.hits").first();
  await hits.waitFor({ state: "visible" });
  const before = Number((await hits.innerText()).trim());
  for (let i = 0; i < 3; i++) {
    const answer = await page.request.get(`${root}${faultedPath}`);
    if (answer.status() < 400) {
      fail(`GET ${faultedPath} answered ${answer.status()}: the fault rule did not hit it`);
    }
  }
  await page.waitForFunction(
    (previous) => Number(document.querySelector("td.hits")?.textContent?.trim()) >= previous + 3,
    before,
    { timeout: WAIT_MS },
  );
  const after = Number((await hits.innerText()).trim());
  await shoot("traffic");
  return { before, after };
}

async function main() {
  const [base, shots, serial, faultedPath] = process.argv.slice(2);
  if (!base || !shots || !serial || !faultedPath || !/^https?:\/\//.test(base)) {
    console.log("usage: CONSOLE_TOKEN=... node console.mjs http://HOST:PORT SCREENSHOT_DIR SERIAL FAULTED_PATH");
    console.log("console browser: 0 passed, 1 failed");
    return 1;
  }
  mkdirSync(shots, { recursive: true });
  const userDataDir = mkdtempSync(join(tmpdir(), "console-chromium-"));
  const diagnostics = [];
  const errors = [];
  const visited = [];
  let context;
  let page;
  let closing;
  const closeBrowser = () => (closing ??= context ? context.close().catch(() => {}) : Promise.resolve());
  // A caller's timeout (tests/api/child.rs sends SIGTERM): closing the browser fails the pending step.
  process.once("SIGTERM", () => {
    diagnostics.push("stopped by SIGTERM");
    closeBrowser();
  });
  let passed = false;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: EXECUTABLE,
      headless: true,
      args: ARGS,
      handleSIGTERM: false,
      timeout: WAIT_MS,
      viewport: { width: 1280, height: 900 },
    });
    context.setDefaultTimeout(WAIT_MS);
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && errors.push(`console error: ${m.text()}`));
    page.on("requestfailed", (r) => diagnostics.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    const { before, after } = await run(base, shots, serial, faultedPath, page, visited);
    if (errors.length) {
      fail(`the pages logged errors:\n  ${errors.join("\n  ")}`);
    }
    console.log(`console: ${visited.length} pages (${visited.join(", ")}); fault rule hits ${before} -> ${after}`);
    passed = true;
  } catch (e) {
    console.log(`console: FAILED: ${plain(e instanceof Error ? e.message : e)}`);
    if (page) {
      await page
        .screenshot({ path: join(shots, "console-failure.png"), fullPage: true, timeout: WAIT_MS })
        .catch(() => {});
      console.log(`  at ${page.url()}`);
    }
    for (const line of [...diagnostics, ...errors]) {
      console.log(`  ${plain(line)}`);
    }
  } finally {
    await closeBrowser();
    try {
      rmSync(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch (e) {
      console.error(`cannot remove ${userDataDir}: ${e.message}`);
    }
  }
  console.log(`console browser: ${passed ? "1 passed, 0 failed" : "0 passed, 1 failed"}`);
  return passed ? 0 : 1;
}

process.exitCode = await main();
