"""The timeline page with many meetings (issue 10: "stays usable with 1,000 meetings"): above
300 items the page turns on vis-timeline's clustering; the clusters must be drawn, each with
its count, and open (zoom in) on a click, while the list of every item stays complete.

Built quickly: the page loads the bundled history from the served registry, then its own
`draw` is given that data with the meetings replaced by N synthetic ones (copies of the
bundled meetings spread over 1980-2019), as `load` would give it a large history."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import ARTIFACTS, Server, loaded
from tests.browser.test_page import _serious

# The page's threshold is 300 items; the bundled history adds 28 non-meeting items (bands,
# seats, norms departures) to the meetings.
MANY = 1_000
FEW = 200

SYNTHETIC = """(n) => {
  const base = view.data.meetings;
  const meetings = [];
  for (let i = 0; i < n; i++) {
    const m = base[i % base.length];
    const two = (k) => String(k).padStart(2, "0");
    const day = `${1980 + (i % 40)}-${two(1 + (i % 12))}-${two(1 + (i % 28))}`;
    const date = { text: day, lower: day, upper: day };
    meetings.push({ ...m, id: `meeting/synthetic/${i}`, startDate: date, endDate: date });
  }
  draw({ ...view.data, meetings }, { ...view.state, asOf: "", item: "" });
  return view.items.length;
}"""


def _draw_synthetic(page: Any, server: Server, meetings: int) -> int:
    loaded(page, server.url)
    items: int = page.evaluate(SYNTHETIC, meetings)
    # The library draws in its own animation frames, after `draw` returns.
    page.locator(".vis-item.meeting:visible").first.wait_for(timeout=30_000)
    return items


def _clusters(page: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.eval_on_selector_all(
        ".vis-item.vis-cluster",
        """els => els.map(e => ({
          text: e.textContent.trim(),
          title: e.querySelector('[title]') ? e.querySelector('[title]').title : '',
          visible: e.getBoundingClientRect().width > 0,
        }))""",
    )
    return result


def test_many_meetings_are_drawn_as_clusters_with_their_counts(page: Any, server: Server) -> None:
    items = _draw_synthetic(page, server, MANY)
    assert items > 300
    page.wait_for_selector(".vis-item.vis-cluster", timeout=30_000)
    clusters = _clusters(page)
    assert clusters and all(c["visible"] for c in clusters)
    # Each shows its count (a number, not the library's markup escaped as text) ...
    counts = [int(c["text"]) for c in clusters if c["text"].isdigit()]
    assert len(counts) == len(clusters), [c["text"] for c in clusters[:3]]
    assert all(n >= 2 for n in counts)
    # ... and says so in its title.
    assert all(c["title"].startswith(f"{c['text']} items here") for c in clusters)
    # The clusters hold most of the meetings: the DOM stays small.
    assert sum(counts) > MANY // 2
    assert page.locator(".vis-item").count() < 300
    # The keyboard list is still complete: one button per meeting.
    assert page.locator("#item-list .item-button[data-kind='meeting']").count() == MANY
    # The clustered view passes the same accessibility check as the bundled one.
    assert _serious(page) == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#timeline-title").scroll_into_view_if_needed()
    page.evaluate("document.querySelector('#timeline-title').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / "page-clusters.png"))


def test_a_click_on_a_cluster_zooms_in_to_its_items(page: Any, server: Server) -> None:
    _draw_synthetic(page, server, MANY)
    cluster = page.locator(".vis-item.vis-cluster").first
    cluster.wait_for(timeout=30_000)
    before = page.evaluate("(() => { const w = timeline.getWindow(); return w.end - w.start; })()")
    held = int(cluster.inner_text())
    cluster.click()
    page.wait_for_function(
        "b => { const w = timeline.getWindow(); return w.end - w.start < b / 4; }", arg=before
    )
    # Zoomed in, the meetings of that cluster are drawn one by one: more meeting boxes, and
    # no cluster left as large as the one clicked.
    page.wait_for_function("document.querySelectorAll('.vis-item.meeting').length >= 2")
    remaining = [int(c["text"]) for c in _clusters(page) if c["visible"]]
    assert all(n < held for n in remaining)
    assert page.locator("#panel").is_hidden()  # a cluster opens no panel


def test_below_the_threshold_no_cluster_is_drawn(page: Any, server: Server) -> None:
    """Negative control: the same synthetic meetings, fewer of them than the threshold."""
    items = _draw_synthetic(page, server, FEW)
    assert items <= 300
    assert page.locator(".vis-item.vis-cluster").count() == 0
    assert page.locator(".vis-item.meeting").count() > 0
    assert page.locator("#item-list .item-button[data-kind='meeting']").count() == FEW
