"""Send traffic from the page and follow it hop by hop, in real headless Chromium."""

from __future__ import annotations

import pytest

from tests.playground.conftest import screenshot
from tests.playground.manifests import (
    WEB_NODE_PORT,
    WEB_SERVICE,
    documents,
    web_deployment,
)
from tests.playground.test_browser_scenarios import open_cluster, wait_count

pytestmark = pytest.mark.e2e
WEB = documents(web_deployment(2), WEB_SERVICE, WEB_NODE_PORT)


def shown_hops(page) -> list[tuple[str, bool]]:
    return [
        (li.get_attribute("data-step"), "ok" in li.get_attribute("class").split())
        for li in page.locator("#traffic-result ol.hops li").all()
    ]


def send(page) -> None:
    with page.expect_response("**/traffic/") as response:
        page.click("#traffic-send")
    assert response.value.status == 200, response.value.text()
    page.wait_for_selector("#traffic-result ol.hops li")


def test_a_request_from_the_page_shows_its_path_hop_by_hop(
    page, lab, rest, new_cluster
):
    slug = new_cluster("traffic", WEB)
    open_cluster(page, lab, slug)
    wait_count(page, ".machine.worker .pod.st-ready[data-name^='web-']", 2, 90_000)

    # From the service's inspector: ten requests through worker2's NodePort.
    page.click(".svc[data-name='web-np']")
    page.click("#inspector button.send-traffic")
    page.wait_for_selector("#tab-traffic:not([hidden])")
    assert page.input_value("#traffic-target") == "Service/default/web-np"
    assert page.input_value("#traffic-via") == "node"
    page.select_option("#traffic-node", "worker2")
    page.fill("#traffic-count", "10")
    send(page)

    assert page.inner_text(".traffic-summary") == "10 of 10 requests answered"
    assert shown_hops(page) == [
        ("service", True),
        ("kube-proxy", True),
        ("endpoint", True),
        ("container", True),
    ]
    assert "NodePort" in page.inner_text("#traffic-result li[data-step='service']")
    assert "HTTP 200" in page.inner_text("#traffic-result .answer.ok")
    # The path is marked on the diagram: the service, worker2's kube-proxy, one pod.
    page.wait_for_selector(".svc.hop[data-name='web-np']")
    page.wait_for_selector(".machine[data-machine='worker2'] .chip.c-kube-proxy.hop")
    assert page.locator(".pod.hop[data-name^='web-']").count() == 1
    assert page.locator("svg.links path.trace-link").count() == 3
    screenshot(page, "send-traffic.png")

    # A ClusterIP answers only inside the cluster: the request leaves from a pod.
    page.select_option("#traffic-target", "Service/default/web")
    assert page.input_value("#traffic-via") == "pod"
    page.fill("#traffic-count", "1")
    send(page)
    assert shown_hops(page) == [
        ("dns", True),
        ("service", True),
        ("kube-proxy", True),
        ("endpoint", True),
        ("container", True),
    ]
    assert "web.default.svc.cluster.local" in page.inner_text("#traffic-result")
    assert page.locator(".pod.hop-src").count() == 1

    # A worker that is powered off: the request times out, as curl reports it.
    rest.post(f"clusters/{slug}/machines/worker1/power/", {"on": False})
    page.wait_for_selector(".machine.off[data-machine='worker1']")
    page.select_option("#traffic-target", "Service/default/web-np")
    page.select_option("#traffic-node", "worker1")
    send(page)
    assert shown_hops(page) == [("node", False)]
    error = page.inner_text("#traffic-result .client-error")
    assert error.startswith("curl: (28) Failed to connect to ")
    assert error.endswith("port 30080 after 130000 ms: Couldn't connect to server")
    page.wait_for_selector(".machine.hop-fail[data-machine='worker1']")
    assert page.locator("svg.links path.trace-link.fail").count() == 1


def test_the_traffic_panel_speaks_spanish(page, lab, rest, new_cluster):
    slug = new_cluster("trafico", WEB)
    page.goto(f"{lab}/clusters/")
    page.select_option("#lang-select", "es")
    page.wait_for_selector("h1:has-text('Mis clústeres')")
    try:
        open_cluster(page, lab, slug)
        page.click("[data-tab=traffic]")
        assert page.inner_text("[data-tab=traffic]") == "Tráfico"
        assert page.inner_text("#traffic-send") == "Enviar"
        assert "Enviar a" in page.inner_text("#tab-traffic")
    finally:
        page.select_option("#lang-select", "en")


def test_a_frame_that_skips_revisions_makes_the_page_take_a_snapshot(
    page, lab, rest, new_cluster
):
    """A lost frame leaves a gap: the page asks again instead of drawing a wrong state."""
    slug = new_cluster("gap")
    open_cluster(page, lab, slug)
    # Lose the next change frame on its way in, as a dropped message would.
    page.evaluate(
        """() => {
          const stream = window.kubelab.stream;
          const receive = stream.receive.bind(stream);
          window.lost = 0;
          stream.receive = (frame) => {
            if (frame.t === "changes" && (frame.changes || []).length && !window.lost) {
              window.lost = frame.rev;
              return;
            }
            receive(frame);
          };
        }"""
    )
    for name in ("first", "second"):
        rest.post(
            f"clusters/{slug}/apply/",
            {
                "yaml": f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n"
                "spec:\n  ports:\n  - port: 80\n"
            },
        )
        page.wait_for_function("() => window.lost > 0")

    # The service in the lost frame shows all the same: the snapshot brought it.
    page.wait_for_selector(".svc[data-name='first']")
    page.wait_for_selector(".svc[data-name='second']")
    assert page.evaluate("window.kubelab.stream.gaps") == 1
    server_rev = rest.get(f"clusters/{slug}/")["revision"]
    page.wait_for_function("rev => window.kubelab.stream.rev >= rev", arg=server_rev)
