"""Layout checks for the browser tests: nothing wider than the window, words kept on one line."""

from __future__ import annotations

from playwright.async_api import Page

from tests.web.journeys import Evaluates

PHONE = {"width": 390, "height": 844}

# Visible elements that reach past the right edge of the window, except inside a container that
# scrolls sideways on purpose (the comparison cards). The Latency panel is left out: its table
# is another change's.
_OVERFLOWING = """(() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (node) => node.closest('.compare, #latency-panel') !== null;
  const over = [];
  for (const node of document.querySelectorAll('body *')) {
    if (node.offsetParent === null || scrolls(node)) continue;
    const box = node.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) {
      over.push(`${node.tagName.toLowerCase()}#${node.id}.${node.className} ends at ${box.right}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, over};
})()"""

# How many lines an element's text takes (1: it did not wrap).
_LINES = """(node) => {
  const range = document.createRange();
  range.selectNodeContents(node);
  return new Set([...range.getClientRects()].map((box) => Math.round(box.top))).size;
}"""


async def assert_fits(page: Evaluates, where: str) -> None:
    """The page does not scroll sideways and nothing sticks out on the right."""
    shown = await page.evaluate(_OVERFLOWING)
    assert shown["scrollWidth"] <= shown["width"], f"{where} scrolls sideways: {shown}"
    assert shown["over"] == [], f"{where}: {shown['over']}"


async def lines_of(page: Page, selector: str) -> int:
    """The number of lines the text of `selector` takes on screen."""
    count: int = await page.eval_on_selector(selector, _LINES)
    return count
