import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeCopyField, parseCopyRows, renderCopyRows } from "./copy-text";

const field = fc.option(
  fc.string({
    unit: fc.constantFrom("\\", "\t", "\n", "\r", "\b", "\f", "\v", "N", "\x01", "é", "😀", "a"),
  }),
);

describe("COPY text", () => {
  it("escapes exactly what the server escapes", () => {
    expect(escapeCopyField("a\\b\tc\nd\re\bf\fg\vh\x01").toString()).toBe(
      "a\\\\b\\tc\\nd\\re\\bf\\fg\\vh\x01",
    );
    expect(escapeCopyField(null).toString()).toBe("\\N");
    expect(escapeCopyField("\\N").toString()).toBe("\\\\N");
  });

  it("parses back what it renders", () => {
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 3, maxLength: 3 })), (rows) => {
        expect(parseCopyRows(renderCopyRows(rows), 3)).toEqual(rows);
      }),
    );
  });

  it("reads the escapes the server accepts but never writes", () => {
    expect(parseCopyRows(Buffer.from("\\101\\x42\\q\n"), 1)).toEqual([["ABq"]]);
    expect(() => parseCopyRows(Buffer.from("a\tb\n"), 1)).toThrow(/2 fields where 1/);
    expect(() => parseCopyRows(Buffer.from("a"), 1)).toThrow(/complete row/);
  });
});
