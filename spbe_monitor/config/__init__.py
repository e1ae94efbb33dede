"""Configuration: YAML with line marks → strict pydantic models → one immutable Config."""

from spbe_monitor.config.loader import Config, load_config

__all__ = ["Config", "load_config"]
