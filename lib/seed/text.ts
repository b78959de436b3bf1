import type { Random } from "./random";

/**
 * Text that exercises what a dump and a restore must carry through intact:
 * characters outside the BMP, CJK, right-to-left scripts, combining marks,
 * and the bytes COPY's text format escapes (tab, newline, backslash, `\N`).
 */
export const unicodeSamples = [
  "📈 Revenue 🚀",
  "👩🏽‍💻 Data team",
  "🇧🇷 Brasil 🇯🇵 日本",
  "売上ダッシュボード",
  "월간 활성 사용자",
  "用户留存分析",
  "مبيعات الربع الثالث",
  "דוח הכנסות שנתי",
  "Zoe\u0308 Cafe\u0301 nai\u0308ve", // decomposed: base letter + combining mark
  "Ελληνικά έσοδα",
  "Отчёт по продажам",
  "हिन्दी रिपोर्ट",
  "รายงานยอดขาย",
  "𝔐𝔞𝔱𝔥 𝔣𝔬𝔫𝔱𝔰 and 𝟙𝟚𝟛",
  "zero\u200bwidth\u200dspace",
] as const;

export const trickySamples = [
  "tab\tseparated\tvalues",
  "line one\nline two\r\nline three",
  "back\\slash and \\N is not null",
  `quotes ' " \` and 100% _under_score_`,
  "<script>alert('x')</script>",
  "'; drop table users; --",
] as const;

const words = (
  "revenue orders customers churn retention weekly monthly active users funnel " +
  "conversion pipeline forecast region product inventory margin cohort signups trial " +
  "invoice refunds support tickets latency errors campaign budget quarterly growth " +
  "segment average median total by per and for the of new top daily sessions pageviews"
).split(" ");

export function sentence(rng: Random, minWords = 4, maxWords = 14): string {
  const count = rng.int(minWords, maxWords);
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(rng.pick(words));
  const text = out.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1) + ".";
}

/** A short name; now and then in another script or with an emoji. */
export function title(rng: Random): string {
  if (rng.chance(0.15)) return rng.pick(unicodeSamples);
  const base = sentence(rng, 2, 5).slice(0, -1);
  return rng.chance(0.1) ? `${base} ${rng.pick(unicodeSamples)}` : base;
}

/**
 * Markdown-ish prose of roughly `bytes` UTF-8 bytes. Every sample above is
 * somewhere in it, so that any run with one long text carries them all.
 */
export function longText(rng: Random, bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const roll = rng.next();
    let part: string;
    if (roll < 0.08) part = `\n\n## ${title(rng)}\n\n`;
    else if (roll < 0.14) part = `\n- ${sentence(rng)}`;
    else part = sentence(rng, 6, 24) + " ";
    parts.push(part);
    size += Buffer.byteLength(part);
  }
  for (const sample of [...unicodeSamples, ...trickySamples]) {
    parts.splice(rng.int(0, parts.length), 0, ` ${sample} `);
  }
  return parts.join("");
}

/** A description as people write them: often none, usually a line, sometimes pages. */
export function description(rng: Random, longChance = 0.05): string | null {
  const roll = rng.next();
  if (roll < 0.35) return null;
  if (roll < 0.35 + longChance) return longText(rng, rng.int(2_000, 8_000));
  if (roll < 0.4 + longChance) return rng.pick([...unicodeSamples, ...trickySamples]);
  return sentence(rng);
}
