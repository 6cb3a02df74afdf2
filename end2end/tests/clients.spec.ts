import { expect, test, type Page } from "@playwright/test";
import {
  createClientViaUi,
  createUser,
  expectPath,
  field,
  open,
  randomString,
  signIn,
  uniqueClient,
  uniqueSlug,
} from "./support";

/** A visible element whose whole text is `text` (first one if the page shows it several times). */
function shownText(page: Page, text: string) {
  return page.getByText(text, { exact: true }).filter({ visible: true }).first();
}

test.describe("clients", () => {
  test("a manager creates a client and then edits it", async ({ page }) => {
    const manager = createUser({ role: "manager" });
    const name = `Acme Dental ${randomString(6)}`;
    const slug = uniqueSlug("acme");

    await signIn(page, manager);

    await test.step("create", async () => {
      await open(page, "/clients");
      await page.getByRole("link", { name: "New client", exact: true }).click();
      await expectPath(page, "/clients/new");

      await field(page, "Name").fill(name);
      await field(page, "Slug").fill(slug);
      await field(page, "Impact tier").selectOption({ label: "Sensitive" });
      await field(page, "Sector").fill("Healthcare");
      await field(page, "Tags").fill("m365, hipaa");
      await field(page, "Primary contact name").fill("Dana Reyes");
      await field(page, "Primary contact email").fill(`dana-${randomString(6)}@example.test`);
      await page.getByRole("button", { name: "Create client", exact: true }).click();

      await expectPath(page, `/clients/${slug}`);
      await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
      await expect(shownText(page, "Sensitive")).toBeVisible();
      await expect(shownText(page, "Healthcare")).toBeVisible();
    });

    await test.step("edit", async () => {
      await page.getByRole("link", { name: "Edit", exact: true }).click();
      await expectPath(page, `/clients/${slug}/edit`);

      await field(page, "Sector").fill("Legal");
      await page.getByRole("button", { name: "Save changes", exact: true }).click();

      await expectPath(page, `/clients/${slug}`);
      await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
      await expect(shownText(page, "Legal")).toBeVisible();
      await expect(page.getByText("Healthcare")).toHaveCount(0);
    });
  });

  test("a client without a name is refused with a message", async ({ page }) => {
    const manager = createUser({ role: "manager" });
    await signIn(page, manager);

    await open(page, "/clients/new");
    await field(page, "Slug").fill(uniqueSlug("nameless"));
    await page.getByRole("button", { name: "Create client", exact: true }).click();

    await expect(page.getByText(/Enter the client['\u2019]s name\./).first()).toBeVisible();
    await expect(page).toHaveURL((url) => url.pathname === "/clients/new");
  });

  test("a slug that is already taken is refused", async ({ page }) => {
    const manager = createUser({ role: "manager" });
    await signIn(page, manager);

    const first = uniqueClient();
    await createClientViaUi(page, first);

    await open(page, "/clients/new");
    await field(page, "Name").fill(`Acme Copy ${randomString(6)}`);
    await field(page, "Slug").fill(first.slug);
    await page.getByRole("button", { name: "Create client", exact: true }).click();

    await expect(page.getByText("already used").first()).toBeVisible();
    await expect(page).toHaveURL((url) => url.pathname === "/clients/new");
  });

  test("the clients list can be searched by name", async ({ page }) => {
    const manager = createUser({ role: "manager" });
    await signIn(page, manager);

    const wanted = uniqueClient("Acme Dental", "acme");
    const other = uniqueClient("Borealis Law", "borealis");
    await createClientViaUi(page, wanted);
    await createClientViaUi(page, other);

    await open(page, "/clients");
    await field(page, "Search clients").fill(wanted.name);
    await page.getByRole("button", { name: "Apply", exact: true }).click();

    const table = page.getByRole("table", { name: "Clients" });
    await expect(table.getByRole("link", { name: wanted.name, exact: true })).toBeVisible();
    await expect(table.getByRole("link", { name: other.name, exact: true })).toHaveCount(0);
  });

  test("a client viewer cannot open another client's page", async ({ page, browser }) => {
    const manager = createUser({ role: "manager" });
    await signIn(page, manager);

    const own = uniqueClient("Acme Dental", "acme");
    const other = uniqueClient("Borealis Law", "borealis");
    await createClientViaUi(page, own);
    await createClientViaUi(page, other);

    const viewerUser = createUser({ role: "client_viewer", client: own.slug });

    // A separate browser context: its own cookies, same project options (baseURL, JavaScript).
    const viewerContext = await browser.newContext();
    try {
      const viewer = await viewerContext.newPage();
      await signIn(viewer, viewerUser);

      await open(viewer, `/clients/${other.slug}`);
      await expect(viewer.getByRole("heading", { level: 1, name: "Not found" })).toBeVisible();
      await expect(viewer.getByText(other.name)).toHaveCount(0);
      await expect(viewer).not.toHaveTitle(new RegExp(other.name));
    } finally {
      await viewerContext.close();
    }
  });
});
