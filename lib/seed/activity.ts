import type { auditLog, reportSnapshots, settings, viewLog } from "@/db/schema";
import { sealSecret, type SecretKey } from "@/lib/secrets/cipher";
import type { IdPool } from "./id-pool";
import type { SeededUser } from "./people";
import type { Random } from "./random";
import { longText, sentence, title, unicodeSamples } from "./text";
import { momentAt, randomMoment } from "./timeline";

type NewSetting = typeof settings.$inferInsert;
type NewAuditEntry = typeof auditLog.$inferInsert;
type NewView = typeof viewLog.$inferInsert;

/**
 * A fixed set of keys, as an instance has: settings do not grow with the
 * data. Secret ones are sealed with the instance key like the app does.
 */
export function settingRows(rng: Random, key: SecretKey | null): NewSetting[] {
  const plain: [string, string][] = [
    ["site-name", "Acme Analytics 🚀"],
    ["site-url", "https://analytics.example.com"],
    ["admin-email", "ops@example.com"],
    ["report-timezone", rng.pick(["Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"])],
    ["site-locale", rng.pick(["pt_BR", "ja", "ar", "he"])],
    ["landing-page-message", longText(rng, 3_000)],
    ["smtp-host", "smtp.example.com"],
    ["smtp-port", "587"],
  ];
  const secret: [string, string][] = [
    ["smtp-password", rng.hex(20) + "§"],
    ["slack-app-token", `xoxb-${rng.hex(12)}-${rng.hex(24)}`],
    ["google-maps-api-key", `AIza${rng.hex(35)}`],
    ["ldap-bind-password", `${rng.hex(10)} 🔐 ${rng.pick(unicodeSamples)}`],
  ];
  return [
    ...plain.map(([k, value]) => ({ key: k, value, secret: false })),
    ...secret.map(([k, value]) => ({ key: k, value: sealSecret(value, key), secret: true })),
  ].map((row) => ({ ...row, updatedAt: randomMoment(rng) }));
}

export interface ActivityRefs {
  people: readonly SeededUser[];
  dataSources: IdPool;
  collections: IdPool;
  cards: IdPool;
  dashboards: IdPool;
}

type Target = keyof Omit<ActivityRefs, "people"> | "users" | "settings" | null;
const auditActions: [action: string, targetType: string | null, target: Target][] = [
  ["card.create", "card", "cards"],
  ["card.update", "card", "cards"],
  ["card.archive", "card", "cards"],
  ["dashboard.create", "dashboard", "dashboards"],
  ["dashboard.update", "dashboard", "dashboards"],
  ["collection.create", "collection", "collections"],
  ["collection.move", "collection", "collections"],
  ["data_source.update", "data_source", "dataSources"],
  ["user.invite", "user", "users"],
  ["user.deactivate", "user", "users"],
  ["setting.update", "setting", "settings"],
  ["scheduler.pause", null, null],
];

function targetId(rng: Random, target: Target, refs: ActivityRefs): string | null {
  if (target === null) return null;
  if (target === "users") return String(rng.pick(refs.people).id);
  if (target === "settings") return rng.pick(["site-name", "smtp-password", "site-locale"]);
  return String(refs[target].pick(rng));
}

export function* auditRows(
  rng: Random,
  count: number,
  refs: ActivityRefs,
): Generator<NewAuditEntry> {
  for (let i = 0; i < count; i++) {
    const [action, targetType, target] = rng.pick(auditActions);
    yield {
      actorId: target === null || rng.chance(0.03) ? null : rng.pick(refs.people).id,
      action,
      targetType,
      targetId: targetId(rng, target, refs),
      details: {
        request_id: rng.hex(16),
        source: rng.pick(["ui", "api", "scheduler"]),
        changes: Array.from({ length: rng.int(0, 3) }, () => ({
          field: rng.pick(["name", "description", "archived", "collection_id"]),
          before: rng.chance(0.3) ? null : title(rng),
          after: rng.chance(0.5) ? sentence(rng) : { nested: { value: rng.int(0, 99), ok: true } },
        })),
      },
      createdAt: momentAt(rng, i / count),
    };
  }
}

const viewModels = ["card", "card", "card", "dashboard", "dashboard", "collection"] as const;

export function* viewRows(rng: Random, count: number, refs: ActivityRefs): Generator<NewView> {
  const pools = { card: refs.cards, dashboard: refs.dashboards, collection: refs.collections };
  for (let i = 0; i < count; i++) {
    const model = rng.pick(viewModels);
    yield {
      // Views through a public link have no user.
      userId: rng.chance(0.08) ? null : rng.pick(refs.people).id,
      model,
      modelId: pools[model].pickPopular(rng),
      durationMs: rng.chance(0.05) ? null : (rng.next() ** 3 * 30_000).toFixed(3),
      viewedAt: momentAt(rng, i / count),
    };
  }
}

type NewReport = typeof reportSnapshots.$inferInsert;

/** Rendered weekly summaries, as the scheduled report job writes them. */
export function* reportRows(rng: Random, count: number, refs: ActivityRefs): Generator<NewReport> {
  for (let i = 0; i < count; i++) {
    const at = momentAt(rng, (i + 0.5) / count);
    const lines = Array.from({ length: rng.int(1, 10) }, (_, n) => {
      const views = rng.int(0, 5000);
      return `${n + 1}. ${title(rng)} — ${views} views, ${rng.int(0, 24)} cards (dashboard ${refs.dashboards.pick(rng)})`;
    });
    const body = [`Dashboard summary, week to ${at.toISOString().slice(0, 10)}`, "", ...lines].join(
      "\n",
    );
    yield { kind: "dashboard-summary", body, createdAt: at };
  }
}
