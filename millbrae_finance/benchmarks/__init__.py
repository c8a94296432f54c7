"""The benchmark harness: modules register workloads, `manage.py benchmark` runs them.

A workload is a function taking a `BenchmarkContext`. It builds what it needs in the
benchmark database (the default connection points there while it runs), measures, and
reports each figure together with a baseline measured in the same run, so a figure reads
as a ratio that holds across machines. Modules register from AppConfig.ready(); this
module imports none of them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value

    def as_dict(self) -> dict[str, str | float]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline,
            "baseline_value": self.baseline_value,
            "ratio": self.ratio,
        }


@dataclass
class BenchmarkContext:
    # 1.0 for a real measurement, 0.1 for a quick smoke run.
    scale: float = 1.0
    figures: list[Figure] = field(default_factory=list)

    @property
    def quick(self) -> bool:
        return self.scale < 1.0

    def size(self, full: int) -> int:
        """A workload's size at this run's scale, never below one."""
        return max(1, round(full * self.scale))

    def report(
        self, name: str, value: float, unit: str, *, baseline: str, baseline_value: float
    ) -> Figure:
        if value <= 0 or baseline_value <= 0:
            raise ValueError(f"{name}: figures and baselines must be positive")
        figure = Figure(name, value, unit, baseline, baseline_value)
        self.figures.append(figure)
        return figure


Workload = Callable[[BenchmarkContext], None]

_workloads: dict[str, Workload | str] = {}


def register_workload(name: str, workload: Workload | str) -> None:
    """Register (or replace, by name) a workload: the function or, so that no benchmark
    module is imported when the site starts, its dotted path
    ("receivables.benchmarks:penalty_batch_workload"), imported when the benchmark runs."""
    _workloads[name] = workload


def workload_names() -> list[str]:
    """The registered workloads' names, in registration order; nothing is imported."""
    return list(_workloads)


def load_workload(name: str) -> Workload:
    """The workload registered under `name`, its module imported now if it was
    registered by dotted path."""
    workload = _workloads[name]
    if isinstance(workload, str):
        return import_string(workload.replace(":", "."))
    return workload
