import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSealingPrivateKey, sealingKeyPair } from "@/lib/secrets/sealed-box";
import { serveFetchHandler, type Served } from "@/lib/store/serve";
import { checkStore, createStoreMigration } from "./store-link";

const store = sealingKeyPair(newSealingPrivateKey());
const version = { appVersion: "0.1.0", schemaMigrationId: "0000_init", instanceId: "i" };
const key = `lok_${"a".repeat(43)}`;

describe("the store's sealing key as the instance reads it", () => {
  let served: Served;
  // What the fake store answers to create: the test sets it.
  let sealingKey: unknown;
  beforeAll(async () => {
    served = await serveFetchHandler((request) =>
      Promise.resolve(
        new URL(request.url).pathname.endsWith("/health")
          ? Response.json({ accepts: true, reason: null, sealing_key: sealingKey })
          : Response.json(
              { external_id: "m1", token: "t", sealing_key: sealingKey },
              { status: 201 },
            ),
      ),
    );
  });
  afterAll(() => served.close());

  it("takes a public key whose id is its fingerprint", async () => {
    sealingKey = { id: store.keyId, public_key: store.publicKey };
    await expect(createStoreMigration(served.url, version, key)).resolves.toEqual({
      externalId: "m1",
      token: "t",
      sealingPublicKey: store.publicKey,
    });
  });

  it("names the key in the health answer, for the preflight; none from an older store", async () => {
    sealingKey = { id: store.keyId, public_key: store.publicKey };
    expect((await checkStore(served.url, version)).sealingKeyId).toBe(store.keyId);
    sealingKey = undefined;
    expect((await checkStore(served.url, version)).sealingKeyId).toBeNull();
  });

  it("refuses a store that publishes none, a garbled key, or an id that is not the key's", async () => {
    const other = sealingKeyPair(newSealingPrivateKey());
    for (const bad of [
      undefined,
      { id: store.keyId, public_key: "not a key" },
      { id: other.keyId, public_key: store.publicKey },
    ]) {
      sealingKey = bad;
      const refused = createStoreMigration(served.url, version, key);
      await expect(refused).rejects.toMatchObject({ code: "upstream:store_reply" });
      await expect(refused).rejects.toThrow(/sealing_key/);
    }
  });
});

describe("the store's refusals in the admin's words", () => {
  let served: Served;
  // What the fake store answers to every call: the test sets it.
  let status = 422;
  beforeAll(async () => {
    served = await serveFetchHandler(() =>
      Promise.resolve(
        Response.json(
          { error: { code: "unprocessable:version", message: "it runs 0.0.1" } },
          { status },
        ),
      ),
    );
  });
  afterAll(() => served.close());

  it("says the cloud can't take this instance, is failing, or refused, from the store's status", async () => {
    for (const [answer, code, words] of [
      [422, "unprocessable:store_version", "The cloud can't take this instance: it runs 0.0.1"],
      [
        503,
        "upstream:store_failing",
        "The cloud store is failing: it runs 0.0.1. Try again later.",
      ],
      [400, "invalid:store_refused", "The cloud store refused the migration: it runs 0.0.1"],
      [
        403,
        "invalid:cloud_key",
        "The cloud store refused this instance's migration key: it runs 0.0.1 Paste a valid key on Settings.",
      ],
      [
        413,
        "invalid:cloud_key_limit",
        "The cloud store limits this instance's migration key: it runs 0.0.1",
      ],
    ] as const) {
      status = answer;
      // 503 is not asked again: a repeated create would open a second migration.
      await expect(createStoreMigration(served.url, version, key)).rejects.toMatchObject({
        code,
        message: words,
      });
      await expect(checkStore(served.url, version)).rejects.toMatchObject({ code });
    }
  });

  it("asks for a key before calling the store when the instance has none", async () => {
    const refused = createStoreMigration(served.url, version, null);
    await expect(refused).rejects.toMatchObject({ code: "invalid:cloud_key" });
    await expect(refused).rejects.toThrow(/has no migration key/);
  });

  it("says a store that does not answer can't be reached", async () => {
    const closed = await serveFetchHandler(() => Promise.resolve(new Response()));
    await closed.close();
    await expect(createStoreMigration(closed.url, version, key)).rejects.toMatchObject({
      code: "upstream:store_unreachable",
    });
    await expect(checkStore(closed.url, version)).rejects.toThrow(/can't be reached/);
  });
});
