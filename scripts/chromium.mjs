// Debian's Chromium and the flags every browser run here uses: the
// Playwright config and `npm run check:fresh-clone` (which runs before
// anything is installed, so this file is plain JavaScript) share them.
export const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
