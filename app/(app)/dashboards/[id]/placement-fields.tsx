/** Row, column, width and height on the 24-column grid. */
export function PlacementFields({
  value,
}: {
  value: { row: number; col: number; sizeX: number; sizeY: number };
}) {
  const fields = [
    { name: "row", label: "Row", min: 0, max: 1000 },
    { name: "col", label: "Column", min: 0, max: 23 },
    { name: "sizeX", label: "Width", min: 1, max: 24 },
    { name: "sizeY", label: "Height", min: 1, max: 48 },
  ] as const;
  return (
    <div className="grid grid-cols-4 gap-2">
      {fields.map((f) => (
        <label key={f.name} className="text-xs">
          {f.label}
          <input
            name={f.name}
            type="number"
            min={f.min}
            max={f.max}
            required
            defaultValue={value[f.name]}
          />
        </label>
      ))}
    </div>
  );
}
