import { expect, test, type Page } from "@playwright/test";
import {
  createClientViaUi,
  createUser,
  expectPath,
  field,
  grantAccess,
  onboardTechnician,
  open,
  signIn,
  uniqueClient,
  waitForHydration,
} from "./support";

/** Text that only the MSP may read: never on any page of the client portal. */
const INTERNAL = ["Dana Internal-Owner", "Phoned the admin, internal", "Unshared internal evidence", "ticket INT-4711"];

async function saveControl(
  page: Page,
  path: string,
  values: { status: string; owner: string; evidence: string; share: boolean; note: string },
): Promise<void> {
  await open(page, path);
  await field(page, "Status").selectOption({ label: values.status });
  await field(page, "Owner").fill(values.owner);
  await page.getByRole("textbox", { name: "Evidence", exact: true }).fill(values.evidence);
  const share = page.getByLabel(/Share the evidence/);
  if (values.share) await share.check();
  await field(page, "Note for the history").fill(values.note);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("table", { name: "History" })).toContainText(values.note);
  await waitForHydration(page);
}

async function expectNothingInternal(page: Page): Promise<void> {
  // The whole document, the hydration data included.
  const html = await page.content();
  for (const text of INTERNAL) expect(html, `"${text}" on ${page.url()}`).not.toContain(text);
}

test.describe("client portal", () => {
  test("a client viewer reads their posture, shared evidence, access and reviews, and nothing of another client", async ({
    page,
    browser,
  }) => {
    // The MSP's side takes many steps before the portal is read.
    test.setTimeout(120_000);
    const manager = createUser({ role: "manager" });
    const own = uniqueClient("Willow Dental", "willow");
    const other = uniqueClient("Foreign Canary", "foreign");
    const technician = `Ines Portal ${Date.now()}`;
    let reviewPath = "";

    await test.step("the MSP records the client's posture, access and a meeting", async () => {
      await signIn(page, manager);
      await createClientViaUi(page, own);
      await createClientViaUi(page, other);
      await saveControl(page, `/clients/${own.slug}/controls/RA-01`, {
        status: "Implemented",
        owner: INTERNAL[0],
        evidence: "Conditional access policy exported from the IdP",
        share: true,
        note: INTERNAL[1],
      });
      await saveControl(page, `/clients/${own.slug}/controls/RA-05`, {
        status: "Partial",
        owner: INTERNAL[0],
        evidence: INTERNAL[2],
        share: false,
        note: INTERNAL[1],
      });

      await onboardTechnician(page, technician);
      await grantAccess(page, own.name, "PSA", "Read");
      await expect(page.getByRole("table", { name: "Access by client" })).toContainText("PSA");
      await waitForHydration(page);
      await grantAccess(page, own.name, "RMM", "Standard");
      const rmm = page.getByRole("table", { name: "Access by client" }).getByRole("row").filter({ hasText: "RMM" });
      await expect(rmm).toBeVisible();
      await waitForHydration(page);
      await rmm.getByText("Revoke…", { exact: true }).click();
      await rmm.getByLabel("How you verified it").selectOption({ label: "Checked the tool's user list" });
      await rmm.getByLabel(/^Evidence/).fill(INTERNAL[3]);
      await rmm.getByRole("button", { name: `Revoke RMM at ${own.name}` }).click();
      await expect(page.getByText(`Verified: Checked the tool's user list. ${INTERNAL[3]}`)).toBeVisible();
      await waitForHydration(page);

      await open(page, `/clients/${own.slug}`);
      await page.getByRole("button", { name: "Add the default series" }).click();
      const openReviews = page.getByRole("table", { name: "Open reviews" });
      await expect(openReviews.getByRole("row")).toHaveCount(6);
      await waitForHydration(page);
      await openReviews.getByRole("link", { name: "Security and business review" }).click();
      await expect(page).toHaveURL(/\/reviews\/\d+$/);
      await waitForHydration(page);
      reviewPath = new URL(page.url()).pathname;
      const meeting = page.getByRole("region", { name: "Meeting", exact: true });
      await meeting.getByRole("button", { name: "Hold the meeting" }).click();
      await expect(meeting.getByLabel("Agenda")).toHaveValue(/^Score /);
      await waitForHydration(page);
      await meeting.getByLabel("Topic to decide").fill("Budget for EDR");
      await meeting.getByRole("button", { name: "Add the topic" }).click();
      await expect(meeting.getByText("undecided")).toBeVisible();
      await waitForHydration(page);
      await meeting.getByLabel("Decision on Budget for EDR").fill("Approved up to 5k");
      await meeting.getByRole("button", { name: "Record the decision" }).click();
      await expect(meeting.getByText("Approved up to 5k", { exact: true })).toBeVisible();
      await waitForHydration(page);
      await meeting.getByLabel("Action item", { exact: true }).fill("Roll out EDR to every laptop");
      await meeting.getByLabel("Owner", { exact: true }).fill("Chris");
      await meeting.getByRole("button", { name: "Add the action item" }).click();
      await expect(meeting.getByRole("table", { name: "Action items" })).toContainText("Roll out EDR to every laptop");
    });

    const viewerUser = createUser({ role: "client_viewer", client: own.slug });
    const context = await browser.newContext();
    try {
      const viewer = await context.newPage();
      await signIn(viewer, viewerUser);

      await test.step("the overview: score, band, contributors in words and the charts", async () => {
        await expectPath(viewer, `/clients/${own.slug}`);
        await expect(viewer.getByRole("heading", { level: 1, name: own.name })).toBeVisible();
        const score = viewer.getByRole("region", { name: "Risk score" });
        await expect(score).toContainText(/Critical|High|Moderate|Low/);
        await expect(score.getByRole("list").first()).toContainText("not assessed");
        await expect(score.getByRole("figure")).toHaveCount(5);
        await expect(score.getByRole("figure", { name: "Risk score over time" }).getByRole("img")).toBeVisible();
        await expect(viewer.getByRole("button", { name: "Edit" })).toHaveCount(0);
        await expect(viewer.getByRole("link", { name: "Edit" })).toHaveCount(0);
        await expect(viewer.getByText("Internal notes")).toHaveCount(0);
        await expectNothingInternal(viewer);
      });

      await test.step("who at the MSP holds access, and whose access was removed", async () => {
        const current = viewer.getByRole("table", { name: "Current access" });
        await expect(current.getByRole("row").filter({ hasText: technician })).toContainText("PSA");
        await expect(current).not.toContainText("RMM");
        const removed = viewer.getByRole("table", { name: "Access removed in the last 12 months" });
        await expect(removed.getByRole("row").filter({ hasText: technician })).toContainText("RMM");
        await expect(viewer.getByRole("button", { name: /^Revoke/ })).toHaveCount(0);
        await expect(viewer.getByRole("link", { name: technician })).toHaveCount(0);
      });

      await test.step("controls: status and shared evidence, never the owner or internal notes", async () => {
        await open(viewer, `/clients/${own.slug}/controls/RA-01`);
        await expect(viewer.getByText("Conditional access policy exported from the IdP")).toBeVisible();
        await expect(viewer.getByRole("table", { name: "History" })).toContainText("Not assessed → Implemented");
        await expect(viewer.getByRole("button", { name: "Save", exact: true })).toHaveCount(0);
        await expectNothingInternal(viewer);
        await open(viewer, `/clients/${own.slug}/controls/RA-05`);
        await expect(viewer.getByRole("table", { name: "History" })).toContainText("Not assessed → Partial");
        await expectNothingInternal(viewer);
        await open(viewer, `/clients/${own.slug}/controls`);
        await expect(viewer.getByRole("link", { name: /^RA-01 / })).toBeVisible();
        await expectNothingInternal(viewer);
      });

      await test.step("reviews: the meeting with its decision and action item, and its pack", async () => {
        await open(viewer, reviewPath);
        const meeting = viewer.getByRole("region", { name: "Meeting", exact: true });
        await expect(meeting).toContainText("Approved up to 5k");
        await expect(meeting).toContainText("Roll out EDR to every laptop");
        await expect(meeting.getByRole("button", { name: "Save the meeting" })).toHaveCount(0);
        await expectNothingInternal(viewer);
        // The pack is a page of its own, drawn on the server: nothing to hydrate.
        await viewer.goto(`${reviewPath}/pack`);
        await expect(viewer.getByRole("heading", { level: 1, name: own.name })).toBeVisible();
        await expect(viewer.getByRole("table", { name: "Decisions" })).toContainText("Approved up to 5k");
        await expectNothingInternal(viewer);
        const pdf = await viewer.request.get(`${reviewPath}/pack.pdf`);
        expect(pdf.status()).toBe(200);
        const bytes = (await pdf.body()).toString("latin1");
        expect(bytes.startsWith("%PDF-")).toBe(true);
        for (const text of INTERNAL) expect(bytes).not.toContain(text);
      });

      await test.step("another client's page reads exactly like one that does not exist", async () => {
        const missing = `${other.slug}-gone`;
        const foreignAnswer = await viewer.request.get(`/clients/${other.slug}`);
        const missingAnswer = await viewer.request.get(`/clients/${missing}`);
        expect(foreignAnswer.status()).toBe(404);
        expect(missingAnswer.status()).toBe(404);
        expect(await foreignAnswer.text()).not.toContain(other.name);
        await open(viewer, `/clients/${other.slug}`);
        await expect(viewer.getByRole("heading", { level: 1, name: "Not found" })).toBeVisible();
        const foreignText = await viewer.locator("main").innerText();
        await open(viewer, `/clients/${missing}`);
        await expect(viewer.getByRole("heading", { level: 1, name: "Not found" })).toBeVisible();
        expect(await viewer.locator("main").innerText()).toBe(foreignText);
        await expect(viewer.getByText(other.name)).toHaveCount(0);
        for (const path of [`/clients/${other.slug}/controls`, `/clients/${other.slug}/controls/RA-01`]) {
          await open(viewer, path);
          await expect(viewer.getByRole("heading", { level: 1, name: "Not found" })).toBeVisible();
        }
      });
    } finally {
      await context.close();
    }
  });
});
