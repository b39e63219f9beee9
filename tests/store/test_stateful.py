"""A random mix of creates, updates, deletes and stale updates never loses an update."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from cluster import store
from cluster.apiserver import errors
from tests.store.conftest import POD, make_cluster, pod

NAMES = st.sampled_from(["a", "b", "c"])
_machines = itertools.count()


class StoreMachine(RuleBasedStateMachine):
    """The store against a dict model: name -> (value, resourceVersion)."""

    def __init__(self):
        super().__init__()
        owner = get_user_model().objects.create_user(f"user{next(_machines)}")
        self.cluster = make_cluster(owner, "lab").pk
        self.model: dict[str, tuple[int, int]] = {}
        self.writes = 0

    def _expect(self, reason: str, fn, *args) -> None:
        with pytest.raises(errors.ApiError) as caught:
            fn(*args)
        assert caught.value.reason == reason

    def _obj(self, name: str, value: int) -> dict:
        return pod(name, labels={"value": str(value)})

    @rule(name=NAMES)
    def create(self, name):
        if name in self.model:
            self._expect("AlreadyExists", store.create, self.cluster, POD, pod(name))
            return
        created = store.create(self.cluster, POD, self._obj(name, 0))
        self.writes += 1
        self.model[name] = (0, int(created["metadata"]["resourceVersion"]))

    @rule(name=NAMES, stale=st.booleans())
    def update(self, name, stale):
        if name not in self.model:
            self._expect("NotFound", store.update, self.cluster, POD, pod(name), None)
            return
        value, rv = self.model[name]
        if stale:
            self._expect(
                "Conflict",
                store.update,
                self.cluster,
                POD,
                self._obj(name, value + 100),
                rv - 1,
            )
            return
        updated = store.update(self.cluster, POD, self._obj(name, value + 1), rv)
        self.writes += 1
        self.model[name] = (value + 1, int(updated["metadata"]["resourceVersion"]))

    @rule(name=NAMES)
    def delete(self, name):
        if name not in self.model:
            self._expect("NotFound", store.delete, self.cluster, POD, "default", name)
            return
        store.delete(self.cluster, POD, "default", name)
        self.writes += 1
        del self.model[name]

    @invariant()
    def store_matches_the_model(self):
        listed = {
            o["metadata"]["name"]: (
                int(o["metadata"]["labels"]["value"]),
                int(o["metadata"]["resourceVersion"]),
            )
            for o in store.list_objects(self.cluster, POD).items
        }
        assert listed == self.model

    @invariant()
    def every_write_is_one_revision_and_one_event(self):
        assert store.current_revision(self.cluster) == self.writes
        events = store.events_since(self.cluster, 0)
        assert [e.revision for e in events] == list(range(1, self.writes + 1))


@pytest.mark.django_db
def test_the_store_never_loses_an_update():
    StoreMachine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        database=None,  # no example cache written into the work tree
        suppress_health_check=[HealthCheck.too_slow],
    )
    StoreMachine.TestCase().runTest()
