import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CopyRowCounter, escapeCopyField, parseCopyRows, renderCopyRows } from "./copy-text";

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

  describe("rows as the server reads them", () => {
    /** Counts `text` given in pieces that end at each of `cuts`. */
    function counted(text: Buffer, cuts: number[]): CopyRowCounter {
      const counter = new CopyRowCounter();
      let from = 0;
      for (const cut of [...cuts].sort((a, b) => a - b).concat(text.length)) {
        counter.add(text.subarray(from, cut));
        from = Math.max(from, cut);
      }
      return counter;
    }

    it("counts the rows a dump writes, however the text is cut", () => {
      fc.assert(
        fc.property(
          fc.array(fc.array(field, { minLength: 2, maxLength: 2 })),
          fc.array(fc.nat()),
          (rows, cuts) => {
            const text = renderCopyRows(rows);
            const counter = counted(
              text,
              cuts.map((c) => c % (text.length + 1)),
            );
            expect(counter.rows).toBe(rows.length);
            expect(counter.atRowEnd).toBe(true);
          },
        ),
      );
    });

    it("counts an escaped newline as part of its row, wherever the text is cut", () => {
      const text = Buffer.from("a\\\nb\n\\\\\nc\\\n");
      for (let cut = 0; cut <= text.length; cut++) {
        const counter = counted(text, [cut]);
        expect([counter.rows, counter.atRowEnd]).toEqual([2, false]);
        const whole = counted(Buffer.concat([text, Buffer.from("d\n")]), [cut]);
        expect([whole.rows, whole.atRowEnd]).toEqual([3, true]);
      }
    });

    it("refuses COPY's end-of-data marker, wherever the text is cut", () => {
      const text = Buffer.from("a\nb\\\\.\nc\\\nd\n\\.\ne\n");
      for (let cut = 0; cut <= text.length; cut++) {
        expect(() => counted(text, [cut])).toThrow(
          "holds COPY's end-of-data marker (\\.) in row 4",
        );
      }
    });
  });
});
