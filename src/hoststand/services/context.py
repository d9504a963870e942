"""What every use case needs: the database, the broker, the settings and the metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from hoststand.bus import Broker
from hoststand.config import Settings
from hoststand.metrics import Metrics
from hoststand.store.database import Database


@dataclass
class ServiceContext:
    """The dependencies of the services, built once per app."""

    db: Database
    broker: Broker
    settings: Settings
    metrics: Metrics = field(default_factory=Metrics)
