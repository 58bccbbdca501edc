"""The flows the assistant runs, one module per case, each exporting FLOW."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache

from dialogs.flow import Flow

FLOW_MODULES = ("triage", "general", "scenario_a", "scenario_b", "scenario_c", "scenario_d", "end_user")


@cache
def load_flows() -> Mapping[str, Flow]:
    """Build every flow's machine once per process."""
    flows = {}
    for module in FLOW_MODULES:
        data = importlib.import_module(f"dialogs.flows.{module}").FLOW
        flows[data["name"]] = Flow.from_data(data)
    return flows
