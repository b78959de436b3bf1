import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSealingPrivateKey, sealingKeyPair } from "@/lib/secrets/sealed-box";
import { serveFetchHandler, type Served } from "@/lib/store/testing/serve";
import { checkStore, createStoreMigration } from "./store-link";

const store = sealingKeyPair(newSealingPrivateKey());
const version = { appVersion: "0.1.0", schemaMigrationId: "0000_init", instanceId: "i" };

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
    await expect(createStoreMigration(served.url, version)).resolves.toEqual({
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
      const refused = createStoreMigration(served.url, version);
      await expect(refused).rejects.toMatchObject({ code: "upstream:store_reply" });
      await expect(refused).rejects.toThrow(/sealing_key/);
    }
  });
});
