"""infra.scaling.connection_budget: the connection-budget policy's arithmetic, solved for the scaler."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from infra import config
from infra.scaling.connection_budget import Budget, Sizes, fit_pool
from policies.rules import connections
from policies.rules.resources import Pool
from tests.conftest import REPO

BUDGET = Budget(0.8, 10)  # policies/config/prod.json


def prod() -> config.StackConfig:
    return config.load(REPO / "Pulumi.prod.yaml")


def test_allowed_is_the_policys_own_budget():
    assert BUDGET.allowed(400) == connections.budget(400, 0.8, 10) == 312


def test_the_smallest_max_connections_that_holds_a_demand():
    assert BUDGET.max_connections_for(341) == 437  # floor(0.8 x (437 - 10)) = 341; 436 holds 340
    assert BUDGET.max_connections_for(1) == 14  # never below Cloud SQL's minimum


@given(st.integers(min_value=0, max_value=200_000), st.floats(min_value=0.05, max_value=1),
       st.integers(min_value=0, max_value=100))
def test_max_connections_for_is_the_least_that_fits(demand: int, headroom: float, reserved: int):
    budget = Budget(headroom, reserved)
    needed = budget.max_connections_for(demand)
    assert budget.fits(demand, needed)
    assert needed == 14 or not budget.fits(demand, needed - 1)


def test_arithmetic_says_the_inequality_with_the_numbers():
    assert BUDGET.arithmetic(341, 400) == "341 connections > 0.8 x (400 - 10) = 312"
    assert BUDGET.arithmetic(341, 437) == "341 connections <= 0.8 x (437 - 10) = 341"


def test_demand_of_the_prod_pools():
    sizes = Sizes(prod())
    assert sizes.demand() == 241  # 20 x (5 + 5) + 5 x (3 + 2) + 4 x (2 + 2)
    assert sizes.demand_terms() == "api 20 x (5 + 5) + web 5 x (3 + 2) + worker 4 x (2 + 2)"
    assert sizes.max_connections() == 400


def test_proposed_values_are_laid_over_the_config():
    sizes = Sizes(prod(), {"services.api.max_instances": 30, "services.web.pool.max_overflow": 0,
                           "database.max_connections": 437})
    assert sizes.instances("api") == 30
    assert sizes.pool("web") == Pool(3, 0)
    assert sizes.demand() == 30 * 10 + 5 * 3 + 4 * 4
    assert sizes.max_connections() == 437


def test_a_docker_service_is_one_container():
    local = config.load(REPO / "Pulumi.local.yaml")
    assert {name: Sizes(local).instances(name) for name in local.services} == {name: 1 for name in local.services}


def test_a_pool_gives_up_overflow_first():
    sizes = Sizes(prod(), {"services.api.max_instances": 40})
    # others 5 x 5 + 4 x 4 = 41; 0.8 x (500 - 10) = 392 leaves 351 for 40 instances: 8 each
    assert fit_pool(sizes, "api", BUDGET, 500) == Pool(5, 3)


def test_a_pool_keeps_at_least_one_connection_or_does_not_fit():
    sizes = Sizes(prod(), {"services.api.max_instances": 1000})
    assert fit_pool(sizes, "api", BUDGET, 500) is None  # 351 connections for 1000 instances
    assert fit_pool(Sizes(prod(), {"services.api.max_instances": 300}), "api", BUDGET, 500) == Pool(1, 0)
