"""The timeline page (issue 10) in headless chromium against a served registry: each check
compares what the page shows with what the GraphQL API answers for the same question."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from tests.browser.conftest import ARTIFACTS, CORRECTED_MEETING, Corrected, Server, loaded

HOS = ["body/heads_of_state_council", "body/shanghai_five_summit"]


def _api_hos_count(server: Server, year_from: int, year_to: int) -> int:
    total = 0
    for body in HOS:
        data = server.gql(
            "query ($b: ID!, $f: Int!, $t: Int!) "
            "{ meetings(body: $b, yearFrom: $f, yearTo: $t, first: 1) { totalCount } }",
            {"b": body, "f": year_from, "t": year_to},
        )
        total += data["meetings"]["totalCount"]
    return total


def _api_members(server: Server, as_of: str) -> int:
    data = server.gql(
        'query ($d: String!) { members(organization: "organization/sco", asOf: $d, first: 100) '
        "{ totalCount } }",
        {"d": as_of},
    )
    count: int = data["members"]["totalCount"]
    return count


def _open_panel(page: Any, item: str) -> None:
    page.click(f".item-button[data-item='{item}']")
    _wait_panel(page)


def _wait_panel(page: Any) -> None:
    page.wait_for_selector("#panel:not([hidden])")
    page.wait_for_function("document.querySelector('#panel').getAttribute('aria-busy') === 'false'")


def test_heads_of_state_meetings_for_a_range_of_years(page: Any, server: Server) -> None:
    loaded(page, f"{server.url}/?from=2001&to=2006")
    shown = int(page.inner_text("#count-hos"))
    # 2001: the last Shanghai Five summit and the SCO's founding one; then one a year.
    assert shown == _api_hos_count(server, 2001, 2006) == 7
    # The list holds every heads-of-state meeting (all years), each drawn on the timeline.
    buttons = page.locator("#item-list .item-button[data-kind='meeting']")
    assert (
        buttons.count()
        == server.gql("{ meetings(first: 1) { totalCount } }")["meetings"]["totalCount"]
    )
    # Drawn and visible inside the timeline's box (not merely in the DOM).
    box = page.locator("#timeline").bounding_box()
    first = page.locator(".vis-item.meeting").first
    # The library draws after the page's data has loaded (its own animation frame): wait
    # for it; never drawn, this times out and fails.
    first.wait_for(state="visible", timeout=15_000)
    assert first.is_visible()
    item = first.bounding_box()
    assert box["y"] < item["y"] < box["y"] + box["height"]
    assert page.locator(".vis-item.meeting").count() > 0
    # Negative control: another range, another count, still the API's.
    loaded(page, f"{server.url}/?from=1996&to=2000")
    assert int(page.inner_text("#count-hos")) == _api_hos_count(server, 1996, 2000) == 5


def test_as_of_changes_the_members_shown_to_the_apis_number(page: Any, server: Server) -> None:
    loaded(page, f"{server.url}/?asOf=2000-06-01")
    before = int(page.inner_text("#count-members"))
    assert before == _api_members(server, "2000-06-01") == 0  # the SCO was founded in 2001
    assert "Shanghai Five had 5 participants" in page.inner_text("#members-list")
    page.fill("#as-of", "2005-01-01")
    page.click("button[type=submit]")
    page.wait_for_function("document.querySelector('#count-members').textContent === '6'")
    page.wait_for_function("!document.querySelector('#status').classList.contains('loading')")
    after = int(page.inner_text("#count-members"))
    assert after == _api_members(server, "2005-01-01") == 6 and after != before
    assert "asOf=2005-01-01" in page.url  # the view can be shared
    # As of 2005 nothing later is drawn: no heads-of-state meeting after 2005 in the list.
    labels = page.locator("#item-list .item-button[data-kind='meeting']").all_inner_texts()
    assert labels and max(int(label[:4]) for label in labels) == 2004


def test_side_panel_lists_sources_and_event_hashes(page: Any, server: Server) -> None:
    meeting = "meeting/heads_of_state/2002"
    loaded(page, server.url)
    _open_panel(page, meeting)
    expected = server.gql(
        "query ($id: ID!, $e: String!) { meeting(id: $id) { provenance { sources { title url } } } "
        "audit(entity: $e, first: 100) { nodes { position hash previousHash } } }",
        {"id": meeting, "e": meeting},
    )
    links = page.locator("#panel .sources a")
    shown = [
        (links.nth(i).inner_text(), links.nth(i).get_attribute("href"))
        for i in range(links.count())
    ]
    sources = expected["meeting"]["provenance"]["sources"]
    assert shown and shown == [(s["title"], s["url"]) for s in sources if s["url"]]
    hashes = page.locator("#panel code[data-hash]").all_inner_texts()
    assert hashes == [e["hash"] for e in expected["audit"]["nodes"]]
    assert all(re.fullmatch("[0-9a-f]{64}", h) for h in hashes)
    assert page.locator("#panel [data-verify='ok']").count() == 1  # the API's verify status
    assert f"item={meeting}" in page.url.replace("%2F", "/")


def test_known_at_before_a_correction_shows_the_old_value(
    page: Any, corrected_server: Server, corrected_db: Corrected
) -> None:
    url = f"{corrected_server.url}/?item={CORRECTED_MEETING}"
    loaded(page, url)
    _wait_panel(page)
    assert page.inner_text("#panel dd[data-fact=City]") == "Saint Petersburg"
    assert page.locator("#panel li.event.corrected").count() == 1  # the correction's event
    assert page.locator(".vis-item.corrected").count() >= 1  # marked on the timeline
    assert page.locator("#item-list [data-kind='correction']").count() == 1

    loaded(page, f"{url}&knownAt={corrected_db.before}")
    _wait_panel(page)
    assert page.inner_text("#panel dd[data-fact=City]") == "St. Petersburg"
    assert page.locator("#panel li.event.corrected").count() == 0
    assert page.locator("#item-list [data-kind='correction']").count() == 0


def test_keyboard_alone_reaches_every_item_and_opens_its_panel(page: Any, server: Server) -> None:
    loaded(page, server.url)
    every = set(page.eval_on_selector_all(".item-button", "bs => bs.map(b => b.dataset.item)"))
    meetings = server.gql("{ meetings(first: 1) { totalCount } }")["meetings"]["totalCount"]
    assert len([i for i in every if i.startswith("meeting/")]) == meetings
    reached: set[str] = set()
    for _ in range(len(every) + 40):  # the controls and links before the list, then each item
        page.keyboard.press("Tab")
        item = page.evaluate("document.activeElement.dataset.item || null")
        if item:
            reached.add(item)
        if reached == every:
            break
    assert reached == every
    # Focus is visible: the focused button has an outline.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    target = page.evaluate("document.activeElement.dataset.item")
    page.keyboard.press("Enter")
    _wait_panel(page)
    assert page.evaluate("document.activeElement.id") == "panel-title"
    assert page.inner_text("#panel-title") == page.inner_text(f".item-button[data-item='{target}']")
    page.keyboard.press("Escape")
    assert page.locator("#panel").is_hidden()
    assert page.evaluate("document.activeElement.dataset.item") == target
    # A meeting's documents show on focus.
    page.focus(".item-button[data-item='meeting/heads_of_state/2002']")
    assert (
        "Charter"
        in page.locator(
            "#item-list li:has([data-item='meeting/heads_of_state/2002']) .docs"
        ).inner_text()
    )
    assert page.locator(
        "#item-list li:has([data-item='meeting/heads_of_state/2002']) .docs"
    ).is_visible()


def _serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_or_critical_violation(page: Any, server: Server) -> None:
    loaded(page, server.url)
    assert _serious(page) == []
    _open_panel(page, "meeting/heads_of_state/2002")
    assert _serious(page) == []
    # Negative control: the same check flags a page made worse (text of too little contrast).
    page.evaluate("document.querySelector('#status').style.color = '#d8d8d8'")
    assert any(v.startswith("color-contrast") for v in _serious(page))


def test_screenshots_at_desktop_and_phone_size(browser: Any, server: Server) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, size in (("desktop", (1280, 900)), ("phone", (390, 844))):
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        page = context.new_page()
        loaded(page, f"{server.url}/?asOf=2012-12-31")
        # Nothing wider than the screen (no sideways scrolling of the page itself).
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        if name == "phone":  # the first screen is the controls: show the timeline
            page.locator("#timeline-title").scroll_into_view_if_needed()
            page.evaluate("document.querySelector('#timeline-title').scrollIntoView()")
        page.locator(".vis-item.meeting:visible").first.wait_for()  # the library has drawn
        page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"))
        page.click(".item-button[data-item='meeting/heads_of_state/2002']")
        _wait_panel(page)
        page.screenshot(path=str(ARTIFACTS / f"page-{name}-panel.png"))
        context.close()
        assert (ARTIFACTS / f"page-{name}.png").stat().st_size > 10_000


def test_every_request_stays_on_the_server(page: Any, server: Server) -> None:
    """No CDN: the page, its library and its data all come from the registry's own server."""
    origins: set[str] = set()
    page.on("request", lambda r: origins.add(urlparse(r.url).netloc))
    loaded(page, server.url)
    assert origins == {f"127.0.0.1:{server.port}"}
    assert page.locator(".vis-timeline").count() == 1  # the vendored library drew


def test_empty_database_and_server_down_say_so(
    page: Any, empty_server: Server, server: Server
) -> None:
    loaded(page, empty_server.url)
    assert "registry is empty" in page.inner_text("#status")
    loaded(page, server.url)
    page.route("**/graphql", lambda route: route.abort())
    page.click("button[type=submit]")
    page.wait_for_function("document.querySelector('#status').classList.contains('error')")
    assert "does not answer" in page.inner_text("#status")
    assert page.locator("#status button", has_text="Try again").count() == 1
    page.unroute("**/graphql")
    page.click("#status button")
    page.wait_for_function("document.querySelector('#status').classList.contains('ok')")
